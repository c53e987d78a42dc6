"""How wide a line of text is, and wrapping text to a width, without a font file.

The widths are Helvetica's (Arial and Liberation Sans share them), in thousandths of the
font size; the SVG asks for those fonts, so an estimate here is what the reader sees. A
character outside the table counts as wide, and every width carries a small margin, so an
estimate errs towards too wide and a label that fits here fits on the page.
"""

from __future__ import annotations

_WIDTHS = (
    " 278 !278 \"355 #556 $556 %889 &667 '191 (333 )333 *389 +584 ,278 -333 .278 /278 "
    ":278 ;278 <584 =584 >584 ?556 @1015 [278 \\278 ]278 ^469 _556 `333 {334 |260 }334 ~584 "
    "A667 B667 C722 D722 E667 F611 G778 H722 I278 J500 K667 L556 M833 N722 O778 P667 Q778 "
    "R722 S667 T611 U722 V667 W944 X667 Y667 Z611 a556 b556 c500 d556 e556 f278 g556 h556 "
    "i222 j222 k500 l222 m833 n556 o556 p556 q556 r333 s500 t278 u556 v500 w722 x500 y500 "
    "z500"
)
WIDTHS: dict[str, int] = {
    **{token[0]: int(token[1:]) for token in _WIDTHS.split(" ") if len(token) > 1},
    " ": 278,
    **dict.fromkeys("0123456789", 556),
}
#: Unknown characters count as this wide (an em is 1000).
WIDE = 1000
#: Every estimate is this much wider than the table says.
MARGIN = 1.06
#: Lines of text are this many times the font size apart.
LEADING = 1.25


def text_width(text: str, size: float) -> float:
    return sum(WIDTHS.get(char, WIDE) for char in text) * size / 1000 * MARGIN


def wrap(text: str, size: float, width: float) -> tuple[str, ...]:
    """Greedy word wrap; a word wider than `width` stays whole on its own line."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return tuple(lines)


def block(lines: tuple[str, ...], size: float) -> tuple[float, float]:
    """The width and height of lines of text set at `size`."""
    width = max((text_width(line, size) for line in lines), default=0.0)
    return width, len(lines) * size * LEADING


def balanced(text: str, size: float, width: float) -> tuple[str, ...]:
    """As few lines as `wrap` gives at `width`, made as even as they go: the narrowest
    width that still wraps into that many lines (to half a pixel), so that a last line
    is not left with one short word."""
    lines = wrap(text, size, width)
    low, high = 0.0, block(lines, size)[0]
    while high - low > 0.5:
        middle = (low + high) / 2
        low, high = (low, middle) if len(wrap(text, size, middle)) <= len(lines) else (middle, high)
    return wrap(text, size, high)
