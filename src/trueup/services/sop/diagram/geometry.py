"""Boxes, placed text and polylines: the vocabulary of a laid-out diagram."""

from __future__ import annotations

from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle; y grows downwards, as in SVG and BPMN DI."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def transposed(self) -> Box:
        """The box mirrored in the diagonal: x and y, width and height swap."""
        return Box(self.y, self.x, self.h, self.w)

    def overlaps(self, other: Box) -> bool:
        """Whether the two share more than an edge."""
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def crossed_by(self, start: Point, end: Point) -> bool:
        """Whether an axis-parallel segment runs through the inside of the box."""
        (x1, y1), (x2, y2) = start, end
        if x1 == x2:
            return self.x < x1 < self.right and min(y1, y2) < self.bottom and max(y1, y2) > self.y
        if y1 == y2:
            return self.y < y1 < self.bottom and min(x1, x2) < self.right and max(x1, x2) > self.x
        raise ValueError("only horizontal and vertical segments are drawn")


@dataclass(frozen=True, slots=True)
class Text:
    """Lines of text set at `size`, centred in `box` (the box fits them)."""

    lines: tuple[str, ...]
    box: Box
    size: float
