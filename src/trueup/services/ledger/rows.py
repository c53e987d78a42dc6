"""Movement rows (the movements file format, or a posted document) into postings.

This is the import's hot path: it runs once per row of a million-row file, so it
resolves columns once, caches lookups, and raises only for bad rows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TypeVar

from trueup.domain.errors import InputError, RowProblem
from trueup.domain.ledger.model import IMPLIED_SIDES, Item, Location, MovementKind, Tracking
from trueup.domain.ledger.postings import Posting
from trueup.domain.values import (
    MAX_CODE_LENGTH,
    QUANTITY_SCALE,
    normalize_code,
    parse_quantity,
    parse_timestamp,
    storage_time,
)
from trueup.services.ledger.files import Table

REQUIRED = ("external_id", "occurred_at", "kind", "sku", "quantity", "from_location", "to_location")
OPTIONAL = ("unit", "lot", "serial", "reason", "reference", "source")
KINDS = {kind.value: kind for kind in MovementKind}
NO_OFFSET = (
    "a timestamp with a UTC offset such as +01:00 or Z, or a time zone for times "
    "without one (--timezone or TRUEUP_TIMEZONE)"
)
MAX_TEXT = 1000
T = TypeVar("T")


class RowInvalid(Exception):
    """One bad row; carried out of the parser as its RowProblems, one per bad field."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(str(problems[0]))
        self.problems = problems


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
    #: the latest `occurred_at` accepted (storage form): the clock plus the tolerance
    latest: str = "9999-12-31T23:59:59.999999+00:00"
    #: what a row dated after `latest` is told
    future: str = "a time that is not in the future"
    #: the zone of times written without an offset; None refuses them
    zone: tzinfo | None = None


class MovementRows:
    """Parses the rows of one table into postings against a catalog snapshot.

    Lookups are cached by the raw text of a cell, so the thousands of rows that name the
    same SKU or location normalise and resolve it once.
    """

    def __init__(self, table: Table, context: PostingContext) -> None:
        self.table = table
        self.context = context
        self.index = {name: table.require(name) for name in REQUIRED}
        # An absent optional column reads position -1: the "" appended to every row.
        self.optional = {name: _or_last(table.column(name, required=False)) for name in OPTIONAL}
        if self.optional["source"] == -1 and not context.default_source:
            raise InputError(
                f"{table.name}: no 'source' column and no --source given; "
                "expected one of them to say which system these events come from"
            )
        self.width = len(table.header)
        self._times: dict[str, str] = {}
        self._items: dict[str, Item] = {}
        self._codes: dict[str, str] = {"": ""}
        self._sides: dict[str, tuple[int, bool]] = {
            code: (loc.id or 0, not loc.is_virtual) for code, loc in context.locations.items()
        }
        self._raw_sides: dict[str, tuple[int, bool]] = {}

    def parse(self, line: int, values: list[str]) -> Posting:
        """One row as a posting, or RowInvalid naming every bad field of it."""
        try:
            return self._parse(line, values)
        except InputError as error:
            first = self._problem(line, error, "row")
            found = {p.field: p for p in self._diagnose(line, values)}
            found.setdefault(first.field, first)
            raise RowInvalid(list(found.values())) from None

    def _problem(self, line: int, error: InputError, field: str) -> RowProblem:
        return RowProblem(line, error.field or field, error.value, str(error), self.table.name)

    def _diagnose(self, line: int, values: list[str]) -> list[RowProblem]:
        """Every field of a bad row checked on its own (`_parse` stops at the first), so
        that the person fixing the row learns everything wrong with it at once."""
        cells = dict(zip(self.table.header, values, strict=False))
        problems: list[RowProblem] = []

        def check(field: str, parse: Callable[[], T]) -> T | None:
            try:
                return parse()
            except InputError as error:
                problems.append(self._problem(line, error, field))
                return None

        def cell(name: str) -> str:
            return cells.get(name, "")

        check("external_id", lambda: _external_id(cell("external_id")))
        kind = check("kind", lambda: _kind(cell("kind")))
        it = check("sku", lambda: self._item(cell("sku")))
        if it is not None:
            unit = check("unit", lambda: self._code(cell("unit"), "unit"))
            multiple: int | None = QUANTITY_SCALE
            if unit and unit != it.unit:
                multiple = check("unit", lambda: _pack(it, unit))
            size = multiple or QUANTITY_SCALE
            quantity = check("quantity", lambda: _quantity(cell("quantity"), it, size, kind))
            lot = check("lot", lambda: self._code(cell("lot"), "lot"))
            serial = check("serial", lambda: self._code(cell("serial"), "serial"))
            if quantity is not None and lot is not None and serial is not None:
                raw = cell("quantity")
                check("lot", lambda: _check_tracking(it, lot, serial, quantity, raw))
        check("occurred_at", lambda: self._occurred_at(cell("occurred_at")))
        if kind is not None:
            padded = [cells.get(name, "") for name in self.table.header]
            check("from_location", lambda: self._route(padded, kind))
        check("source", lambda: self._code(cell("source"), "source"))
        check("reason", lambda: _field("reason", _text, cell("reason")))
        check("reference", lambda: _field("reference", _text, cell("reference")))
        return problems

    def _code(self, text: str, field: str) -> str:
        found = self._codes.get(text)
        if found is None:
            found = _field(field, normalize_code, text)
            if len(self._codes) < 100_000:
                self._codes[text] = found
        return found

    def _parse(self, line: int, values: list[str]) -> Posting:
        """The fields in the order their errors are reported: the first bad one names
        the row's problem, on this path and the columnar one alike."""
        idx, opt, context = self.index, self.optional, self.context
        if len(values) < self.width:
            values = values + [""] * (self.width - len(values))
        values.append("")
        external_id = _external_id(values[idx["external_id"]])
        raw_kind, raw_sku = values[idx["kind"]], values[idx["sku"]]
        kind = KINDS.get(raw_kind) or _kind(raw_kind)
        it = self._items.get(raw_sku) or self._item(raw_sku)
        unit = self._code(values[opt["unit"]], "unit")
        multiple = QUANTITY_SCALE if not unit or unit == it.unit else _pack(it, unit)
        raw_quantity = values[idx["quantity"]]
        quantity = _quantity(raw_quantity, it, multiple, kind)
        raw_time = values[idx["occurred_at"]]
        occurred_at = self._times.get(raw_time) or self._occurred_at(raw_time)
        from_id, from_physical, to_id, to_physical = self._route(values, kind)
        lot = self._code(values[opt["lot"]], "lot")
        serial = self._code(values[opt["serial"]], "serial")
        tracking = it.tracking
        if lot or serial or tracking is not Tracking.NONE:
            _check_tracking(it, lot, serial, quantity, raw_quantity)
        source = self._code(values[opt["source"]], "source") or context.default_source
        if not source:
            raise InputError("the system the event comes from (or --source)", field="source")
        reason, reference = values[opt["reason"]], values[opt["reference"]]
        packed = multiple != QUANTITY_SCALE
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
            _field("reason", _text, reason) if reason else reason,
            _field("reference", _text, reference) if reference else reference,
            context.actor,
            raw_quantity.strip() if packed else "",
            unit if packed else "",
            context.reverses,
            context.batch_id,
            line,
            tracking is Tracking.SERIAL,
            from_physical,
            to_physical,
        )

    def _item(self, raw_sku: str) -> Item:
        """The item a SKU cell names (the caller looked in the cache first)."""
        sku = _field("sku", normalize_code, raw_sku)
        found = self.context.items.get(sku)
        if found is None:
            raise InputError("a SKU that exists (import items first)", field="sku", value=sku)
        self._items[raw_sku] = found
        return found

    def _occurred_at(self, raw_time: str) -> str:
        """A time cell in storage form (the caller looked in the cache first)."""
        occurred_at = storage_time(_field("occurred_at", self._timestamp, raw_time))
        if occurred_at > self.context.latest:
            raise InputError(self.context.future, field="occurred_at", value=raw_time)
        if len(self._times) < 100_000:
            self._times[raw_time] = occurred_at
        return occurred_at

    def _timestamp(self, text: str) -> datetime:
        try:
            return parse_timestamp(text, self.context.zone)
        except InputError as error:
            if "UTC offset" in str(error):
                raise InputError(NO_OFFSET, value=text) from None
            raise

    def _route(self, values: list[str], kind: MovementKind) -> tuple[int, bool, int, bool]:
        """(from id, physical, to id, physical): two different locations, at least one
        physical, both for a transfer."""
        raw_from, raw_to = values[self.index["from_location"]], values[self.index["to_location"]]
        implied_from, implied_to = IMPLIED_SIDES[kind]
        from_id, from_physical = self._side(raw_from, "from_location", implied_from, kind)
        to_id, to_physical = self._side(raw_to, "to_location", implied_to, kind)
        if from_id == to_id:
            raise InputError("two different locations", field="to_location", value=raw_to)
        if not (from_physical or to_physical):
            raise InputError(
                "at least one physical location", field="from_location", value=raw_from
            )
        if kind is MovementKind.TRANSFER and not (from_physical and to_physical):
            raise InputError(
                "two physical locations for a transfer", field="to_location", value=raw_to
            )
        return from_id, from_physical, to_id, to_physical

    def _side(
        self, text: str, name: str, implied: str | None, kind: MovementKind
    ) -> tuple[int, bool]:
        if not text:
            if implied is None:
                raise InputError(f"a location for a {kind.value}", field=name)
            return self._sides[implied]
        side = self._raw_sides.get(text)
        if side is not None:
            return side
        code = _field(name, normalize_code, text)
        if not code:
            raise InputError(f"a location for a {kind.value}", field=name, value=text)
        side = self._sides.get(code)
        if side is None:
            raise InputError("a location code that exists", field=name, value=code)
        self._raw_sides[text] = side
        return side


def _external_id(raw_id: str) -> str:
    if raw_id.isascii() and raw_id.isprintable() and len(raw_id) <= MAX_CODE_LENGTH:
        external_id = raw_id.strip()  # the common case, already a plain code
    else:
        external_id = _field("external_id", normalize_code, raw_id)
    if not external_id:
        raise InputError("a non-empty event id", field="external_id")
    return external_id


def _quantity(raw: str, it: Item, multiple: int, kind: MovementKind | None) -> int:
    """A quantity cell in scaled base units. A negative one is told that the kind and
    the locations give the direction: a sale taken back is a return."""
    try:
        return parse_quantity(raw, it.decimals, multiple=multiple)
    except InputError as error:
        expected = str(error)
        if raw.strip().startswith("-"):
            expected += " (the kind and the locations give the direction: " + (
                "a sale taken back is kind `return`, with a positive quantity)"
                if kind is MovementKind.SALE
                else "write the quantity without a sign)"
            )
        raise InputError(expected, field="quantity", value=raw) from None


def _or_last(position: int | None) -> int:
    return -1 if position is None else position


def _kind(raw_kind: str) -> MovementKind:
    """A kind cell that is not already a kind's exact spelling."""
    kind = KINDS.get(raw_kind.strip().lower())
    if kind is None:
        raise InputError("one of " + ", ".join(KINDS), field="kind", value=raw_kind)
    return kind


def _pack(it: Item, unit: str) -> int:
    """The size of one `unit` of `it` in scaled base units; a unit it lacks is refused."""
    pack = it.pack_sizes.get(unit)
    if pack is None:
        choices = ", ".join([it.unit, *it.pack_sizes])
        raise InputError(f"a unit of {it.sku}: {choices}", field="unit", value=unit)
    return pack


def _check_tracking(it: Item, lot: str, serial: str, quantity: int, raw_quantity: str) -> None:
    tracking, sku = it.tracking, it.sku
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
        raise InputError(f"no serial: {sku} is not serial-tracked", field="serial", value=serial)


def _field(name: str, parse: Callable[[str], T], text: str) -> T:
    try:
        return parse(text)
    except InputError as error:
        error.field = error.field or name
        error.value = error.value or text
        raise
