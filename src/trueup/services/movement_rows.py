"""Movement rows (the movements file format, or a posted document) into postings.

This is the import's hot path: it runs once per row of a million-row file, so it
resolves columns once, caches lookups, and raises only for bad rows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from trueup.domain.errors import InputError, RowProblem
from trueup.domain.ledger import Posting
from trueup.domain.model import IMPLIED_SIDES, Item, Location, MovementKind, Tracking
from trueup.domain.values import (
    MAX_CODE_LENGTH,
    QUANTITY_SCALE,
    normalize_code,
    parse_quantity,
    parse_timestamp,
    storage_time,
)
from trueup.services.files import Table

REQUIRED = ("external_id", "occurred_at", "kind", "sku", "quantity", "from_location", "to_location")
OPTIONAL = ("unit", "lot", "serial", "reason", "reference", "source")
KINDS = {kind.value: kind for kind in MovementKind}
MAX_TEXT = 1000
T = TypeVar("T")


class RowInvalid(Exception):
    """One bad row; carried out of the parser as a RowProblem."""

    def __init__(self, problem: RowProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _code(text: str) -> str:
    if text.isascii() and text.isprintable():  # the common case, without unicodedata
        text = text.strip()
        if len(text) > MAX_CODE_LENGTH:
            raise InputError(f"at most {MAX_CODE_LENGTH} characters", value=text)
        return text
    return normalize_code(text)


def _text(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InputError(f"at most {MAX_TEXT} characters", value=text)
    return unicodedata.normalize("NFC", text) if not text.isascii() else text


@dataclass
class PostingContext:
    items: dict[str, Item]
    locations: dict[str, Location]
    batch_id: int
    recorded_at: str
    actor: str
    default_source: str | None
    reverses: int | None = None


class MovementRows:
    """Parses the rows of one table into postings against a catalog snapshot."""

    def __init__(self, table: Table, context: PostingContext) -> None:
        self.table = table
        self.context = context
        self.index = {name: table.require(name) for name in REQUIRED}
        self.optional = {name: table.column(name, required=False) for name in OPTIONAL}
        if self.optional["source"] is None and not context.default_source:
            raise InputError(
                f"{table.name}: no 'source' column and no --source given; "
                "expected one of them to say which system these events come from"
            )
        self._times: dict[str, str] = {}
        self._sides: dict[str, tuple[int, bool]] = {
            code: (loc.id or 0, not loc.is_virtual) for code, loc in context.locations.items()
        }

    def parse(self, line: int, values: list[str]) -> Posting:
        """One row as a posting, or RowInvalid naming the first bad field."""
        field = "row"
        try:
            return self._parse(line, values)
        except InputError as error:
            field = error.field or field
            raise RowInvalid(
                RowProblem(line, field, error.value, str(error), self.table.name)
            ) from None

    def _get(self, values: list[str], name: str) -> str:
        position = self.optional[name]
        if position is None or position >= len(values):
            return ""
        return values[position]

    def _parse(self, line: int, values: list[str]) -> Posting:
        idx = self.index
        if len(values) < len(self.table.header):
            values = values + [""] * (len(self.table.header) - len(values))
        external_id = _field("external_id", _code, values[idx["external_id"]])
        if not external_id:
            raise InputError("a non-empty event id", field="external_id")
        kind_text = values[idx["kind"]].strip().lower()
        kind = KINDS.get(kind_text)
        if kind is None:
            raise InputError(
                "one of " + ", ".join(KINDS),
                field="kind",
                value=values[idx["kind"]],
            )
        sku = _field("sku", _code, values[idx["sku"]])
        it = self.context.items.get(sku)
        if it is None:
            raise InputError("a SKU that exists (import items first)", field="sku", value=sku)
        unit = self._get(values, "unit").strip()
        multiple = QUANTITY_SCALE
        if unit and unit != it.unit:
            pack = it.pack_sizes.get(unit)
            if pack is None:
                choices = ", ".join([it.unit, *it.pack_sizes])
                raise InputError(f"a unit of {sku}: {choices}", field="unit", value=unit)
            multiple = pack
        raw_quantity = values[idx["quantity"]]
        quantity = _field(
            "quantity", lambda t: parse_quantity(t, it.decimals, multiple=multiple), raw_quantity
        )
        occurred_text = values[idx["occurred_at"]]
        occurred_at = self._times.get(occurred_text)
        if occurred_at is None:
            occurred_at = storage_time(_field("occurred_at", parse_timestamp, occurred_text))
            if len(self._times) < 100_000:
                self._times[occurred_text] = occurred_at
        implied_from, implied_to = IMPLIED_SIDES[kind]
        from_id, from_physical = self._side(values, "from_location", implied_from, kind)
        to_id, to_physical = self._side(values, "to_location", implied_to, kind)
        if from_id == to_id:
            raise InputError(
                "two different locations", field="to_location", value=values[idx["to_location"]]
            )
        if not (from_physical or to_physical):
            raise InputError(
                "at least one physical location",
                field="from_location",
                value=values[idx["from_location"]],
            )
        if kind is MovementKind.TRANSFER and not (from_physical and to_physical):
            raise InputError(
                "two physical locations for a transfer",
                field="to_location",
                value=values[idx["to_location"]],
            )
        lot = _field("lot", _code, self._get(values, "lot"))
        serial = _field("serial", _code, self._get(values, "serial"))
        tracking = it.tracking
        if tracking is Tracking.LOT and not lot:
            raise InputError(f"a lot: {sku} is lot-tracked", field="lot")
        if tracking is Tracking.SERIAL:
            if not serial:
                raise InputError(f"a serial number: {sku} is serial-tracked", field="serial")
            if quantity != QUANTITY_SCALE:
                raise InputError(
                    "1: a serial number moves one unit", field="quantity", value=raw_quantity
                )
        if lot and tracking is not Tracking.LOT:
            raise InputError(f"no lot: {sku} is not lot-tracked", field="lot", value=lot)
        if serial and tracking is not Tracking.SERIAL:
            raise InputError(
                f"no serial: {sku} is not serial-tracked", field="serial", value=serial
            )
        source = _field("source", _code, self._get(values, "source")) or self.context.default_source
        if not source:
            raise InputError("the system the event comes from (or --source)", field="source")
        context = self.context
        return Posting(
            source,
            external_id,
            kind.value,
            it.id or 0,
            from_id,
            to_id,
            lot,
            serial,
            quantity,
            occurred_at,
            context.recorded_at,
            _field("reason", _text, self._get(values, "reason")),
            _field("reference", _text, self._get(values, "reference")),
            context.actor,
            raw_quantity.strip() if multiple != QUANTITY_SCALE else "",
            unit if multiple != QUANTITY_SCALE else "",
            context.reverses,
            context.batch_id,
            line,
            tracking is Tracking.SERIAL,
            from_physical,
            to_physical,
        )

    def _side(
        self, values: list[str], name: str, implied: str | None, kind: MovementKind
    ) -> tuple[int, bool]:
        text = values[self.index[name]]
        code = _field(name, _code, text)
        if not code:
            if implied is None:
                raise InputError(f"a location for a {kind.value}", field=name)
            code = implied
        side = self._sides.get(code)
        if side is None:
            raise InputError("a location code that exists", field=name, value=code)
        return side


def _field(name: str, parse: Callable[[str], T], text: str) -> T:
    try:
        return parse(text)
    except InputError as error:
        error.field = error.field or name
        error.value = error.value or text
        raise
