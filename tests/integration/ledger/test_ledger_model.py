"""The ledger against a model small enough to be obviously right.

A Hypothesis state machine posts receipts, POS sales (accepted even when short), manual
withdrawals (refused when short), transfers, multi-line files, reversals of earlier
movements, repeats of earlier events (no-ops) and changed repeats (conflicts), each at a
random `occurred_at`. After every step the ledger must say what the model says: on-hand
now, the movement count, `verify`, and conservation; a rule compares on-hand as of a
random time. Each run gets a database of its own.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import create_engine, func, select, text

from tests.builders import OPERATOR, post, world
from tests.conftest import POSTGRES_URL, SKIP_POSTGRES, postgres_schema_url
from trueup.bootstrap import Settings, System, initialise
from trueup.domain.access import Principal
from trueup.domain.errors import AlreadyReversed, Conflict, RowsRejected, StockRefused
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.port import StockFilter
from trueup.services.ledger.posting import reverse
from trueup.services.ledger.queries import stock
from trueup.services.ledger.verification import verify
from trueup.storage.ledger.tables import movement as movement_table

SKUS = ("A", "B")
PHYSICAL = ("DC1-A-01", "ST1", "ST2")
#: The virtual side each kind implies when the row leaves it empty.
IMPLIED = {"receipt": ("supplier", None), "sale": (None, "customer"), "issue": (None, "customer")}
ZONES = (UTC, timezone(timedelta(hours=1)), timezone(-timedelta(hours=5)),
         timezone(timedelta(hours=5, minutes=30)))  # fmt: skip
TIMES = st.datetimes(
    min_value=datetime(2026, 3, 1), max_value=datetime(2026, 3, 4), timezones=st.sampled_from(ZONES)
)
UNITS = st.integers(min_value=1, max_value=6)
MACHINE_SETTINGS = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Event:
    """A movements-file row the model understands; quantity in whole base units."""

    source: str
    kind: str
    sku: str
    from_location: str
    to_location: str
    quantity: int
    occurred_at: datetime
    reference: str = ""

    def row(self, external_id: str) -> dict[str, str]:
        return {
            "external_id": external_id,
            "occurred_at": self.occurred_at.isoformat(),
            "kind": self.kind,
            "sku": self.sku,
            "quantity": str(self.quantity),
            "from_location": self.from_location,
            "to_location": self.to_location,
            "source": self.source,
            "reference": self.reference,
        }

    @property
    def sides(self) -> tuple[str, str]:
        implied_from, implied_to = IMPLIED.get(self.kind, (None, None))
        return self.from_location or implied_from or "", self.to_location or implied_to or ""


@dataclass
class Posted:
    """A movement the model expects in the ledger."""

    source: str
    external_id: str
    event: Event
    reversed: bool = False


@dataclass
class Model:
    on_hand: Counter[tuple[str, str]] = field(default_factory=Counter)
    posted: list[Posted] = field(default_factory=list)

    def refuses(self, event: Event) -> bool:
        """The default policy: a short withdrawal from a physical location is refused,
        unless it is a sale or issue that comes neither from a person (manual) nor from
        trueup itself (a reversal, which a person asked for)."""
        origin = event.sides[0]
        if origin not in PHYSICAL:
            return False
        short = self.on_hand[(event.sku, origin)] < event.quantity
        fact = event.kind in ("sale", "issue") and event.source not in ("manual", "trueup")
        return short and not fact

    def raises_exception(self, event: Event) -> bool:
        """A fact that takes on-hand from zero or more to below zero raises a negative-stock
        exception; one that deepens a shortage already open does not."""
        origin = event.sides[0]
        return origin in PHYSICAL and 0 <= self.on_hand[(event.sku, origin)] < event.quantity

    def apply(self, posted: Posted) -> None:
        event = posted.event
        origin, target = event.sides
        self.on_hand[(event.sku, origin)] -= event.quantity
        self.on_hand[(event.sku, target)] += event.quantity
        self.posted.append(posted)

    def as_of(self, moment: datetime) -> Counter[tuple[str, str]]:
        totals: Counter[tuple[str, str]] = Counter()
        for posted in self.posted:
            event = posted.event
            if event.occurred_at <= moment:
                origin, target = event.sides
                totals[(event.sku, origin)] -= event.quantity
                totals[(event.sku, target)] += event.quantity
        return totals


@st.composite
def events(draw: st.DrawFn) -> Event:
    kind = draw(st.sampled_from(["receipt", "receipt", "sale", "issue", "transfer"]))
    sku, quantity, at = draw(st.sampled_from(SKUS)), draw(UNITS), draw(TIMES)
    here = draw(st.sampled_from(PHYSICAL))
    if kind == "receipt":
        return Event("erp", kind, sku, "", here, quantity, at)
    if kind == "sale":
        return Event("pos", kind, sku, here, "", quantity, at)
    if kind == "issue":
        return Event("manual", kind, sku, here, "", quantity, at)
    there = draw(st.sampled_from([p for p in PHYSICAL if p != here]))
    return Event(draw(st.sampled_from(["erp", "manual"])), kind, sku, here, there, quantity, at)


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """An empty database for one machine run: a temporary SQLite file or a PG schema."""
    if backend == "sqlite":
        directory = tempfile.mkdtemp(prefix="trueup-model-")
        try:
            yield f"sqlite:///{directory}/trueup.db"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    assert POSTGRES_URL
    schema = f"m_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        yield postgres_schema_url(POSTGRES_URL, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def scaled(counts: Counter[tuple[str, str]], *, physical_only: bool) -> dict[tuple[str, str], int]:
    return {
        key: units * QUANTITY_SCALE
        for key, units in counts.items()
        if units and (key[1] in PHYSICAL or not physical_only)
    }


def refused_for_stock(error: RowsRejected) -> bool:
    return isinstance(error, StockRefused) and bool(error.problems)


class LedgerMachine(RuleBasedStateMachine):
    backend: ClassVar[str] = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self._database = fresh_database(self.backend)
        url = self._database.__enter__()
        self.system: System = world(initialise(Settings(database_url=url, actor="model")))
        self.model = Model()
        self.unposted: list[Posted] = []
        self.ids = 0

    def teardown(self) -> None:
        self.system.close()
        self._database.__exit__(None, None, None)

    # -- helpers --------------------------------------------------------------------
    def _new_id(self) -> str:
        self.ids += 1
        return f"M{self.ids}"

    def _movement_id(self, posted: Posted) -> int:
        with self.system.uow(readonly=True) as uow:
            found = uow.ledger.movement_by_key(posted.source, posted.external_id)
        assert found is not None, f"{posted.source}/{posted.external_id} is not in the ledger"
        return found.id

    def _new_lines(self, batch: list[Event]) -> list[Posted]:
        return [Posted(event.source, self._new_id(), event) for event in batch]

    def _post_file(self, lines: list[Posted]) -> None:
        """Post `lines` as one file: all or none, each seeing the lines before it."""
        trial = Model(on_hand=self.model.on_hand.copy())
        refused, shortages = False, 0
        for line in lines:
            if trial.refuses(line.event):
                refused = True
                break
            shortages += trial.raises_exception(line.event)
            trial.apply(line)
        rows = [line.event.row(line.external_id) for line in lines]
        if refused:
            with pytest.raises(RowsRejected) as rejected:
                post(self.system, *rows)
            assert refused_for_stock(rejected.value), rejected.value.problems
            self.unposted.extend(lines)
            return
        report = post(self.system, *rows)
        assert (report.applied, report.duplicates, report.shortages) == (len(rows), 0, shortages)
        for line in lines:
            self.model.apply(line)

    # -- rules ----------------------------------------------------------------------
    @rule(event=events())
    def post_one_event(self, event: Event) -> None:
        self._post_file(self._new_lines([event]))

    @rule(batch=st.lists(events(), min_size=2, max_size=4))
    def post_several_events_in_one_file(self, batch: list[Event]) -> None:
        self._post_file(self._new_lines(batch))

    @precondition(lambda self: self.unposted)
    @rule(data=st.data())
    def post_again_an_event_that_was_not_applied(self, data: st.DataObject) -> None:
        """A line of a refused file was never posted: its repeat is judged afresh."""
        line = data.draw(st.sampled_from(self.unposted))
        self.unposted.remove(line)
        self._post_file([line])

    @precondition(lambda self: self.model.posted)
    @rule(data=st.data(), zone=st.sampled_from(ZONES))
    def repeat_an_earlier_event(self, data: st.DataObject, zone: timezone) -> None:
        """The same event, its time perhaps written in another offset: a no-op."""
        earlier = data.draw(st.sampled_from(self.model.posted))
        if earlier.source == "trueup":  # a reversal is repeated by reversing again
            original = self._reversed_by(earlier)
            assert original.reversed
            self._reverse(original)
            return
        event = replace(earlier.event, occurred_at=earlier.event.occurred_at.astimezone(zone))
        report = post(self.system, event.row(earlier.external_id))
        assert (report.applied, report.duplicates) == (0, 1)
        assert report.duplicate_of == [self._movement_id(earlier)]

    @precondition(lambda self: any(p.source != "trueup" for p in self.model.posted))
    @rule(data=st.data(), change=st.sampled_from(["quantity", "occurred_at", "reference"]))
    def repeat_an_earlier_event_with_another_payload(
        self, data: st.DataObject, change: str
    ) -> None:
        earlier = data.draw(st.sampled_from([p for p in self.model.posted if p.source != "trueup"]))
        event = earlier.event
        if change == "quantity":
            event = replace(event, quantity=event.quantity + 1)
        elif change == "occurred_at":
            event = replace(event, occurred_at=event.occurred_at + timedelta(microseconds=1))
        else:
            event = replace(event, reference="changed")
        with pytest.raises(RowsRejected) as rejected:
            post(self.system, event.row(earlier.external_id))
        assert isinstance(rejected.value, Conflict), rejected.value.problems

    @precondition(lambda self: self.model.posted)
    @rule(data=st.data())
    def reverse_an_earlier_movement(self, data: st.DataObject) -> None:
        self._reverse(data.draw(st.sampled_from(self.model.posted)))

    def _reversed_by(self, reversal: Posted) -> Posted:
        original_id = int(reversal.external_id.removeprefix("reversal:"))
        return next(p for p in self.model.posted if self._movement_id(p) == original_id)

    def _reverse(self, original: Posted) -> None:
        movement_id = self._movement_id(original)
        if original.reversed:
            with pytest.raises(AlreadyReversed):
                reverse(
                    self.system.uow, movement_id, reason="model", caller=Principal.operator("model")
                )
            return
        origin, target = original.event.sides
        undo = replace(original.event, source="trueup", from_location=target, to_location=origin)
        if self.model.refuses(undo):
            with pytest.raises(RowsRejected) as rejected:
                reverse(
                    self.system.uow, movement_id, reason="model", caller=Principal.operator("model")
                )
            assert refused_for_stock(rejected.value), rejected.value.problems
            return
        shortages = int(self.model.raises_exception(undo))
        posted, report = reverse(
            self.system.uow, movement_id, reason="model", caller=Principal.operator("model")
        )
        assert (report.applied, report.shortages) == (1, shortages)
        assert posted.reverses == movement_id
        assert (posted.from_location, posted.to_location) == (target, origin)
        assert posted.occurred_at == original.event.occurred_at
        self.model.apply(Posted("trueup", f"reversal:{movement_id}", undo))
        original.reversed = True

    @precondition(lambda self: self.model.posted)
    @rule(data=st.data(), at=TIMES, nudge=st.sampled_from([-1, 0, 1]))
    def on_hand_as_of_a_time_counts_what_occurred_by_then(
        self, data: st.DataObject, at: datetime, nudge: int
    ) -> None:
        if data.draw(st.booleans(), label="at an event's own time"):
            at = data.draw(st.sampled_from(self.model.posted)).event.occurred_at
            at += timedelta(microseconds=nudge)
        want = self.model.as_of(at)
        for include_virtual in (False, True):
            rows = stock(
                self.system.uow,
                StockFilter(as_of=at, include_virtual=include_virtual),
                caller=OPERATOR,
            )
            have = {(r.sku, r.location): r.quantity for r in rows}
            assert have == scaled(want, physical_only=not include_virtual), at

    # -- invariants -----------------------------------------------------------------
    @invariant()
    def on_hand_now_matches_the_model(self) -> None:
        rows = stock(self.system.uow, StockFilter(), caller=OPERATOR)
        have = {(r.sku, r.location): r.quantity for r in rows}
        assert have == scaled(self.model.on_hand, physical_only=True)

    @invariant()
    def every_item_nets_to_zero_over_all_locations(self) -> None:
        net: Counter[str] = Counter()
        for r in stock(self.system.uow, StockFilter(include_virtual=True), caller=OPERATOR):
            net[r.sku] += r.quantity
        assert not +net and not -net, net

    @invariant()
    def the_ledger_holds_exactly_the_accepted_movements(self) -> None:
        with self.system.engine.connect() as connection:
            count = connection.scalar(select(func.count()).select_from(movement_table))
        assert count == len(self.model.posted)

    @invariant()
    def verify_finds_nothing_wrong(self) -> None:
        report = verify(self.system.uow)
        assert report.ok, report.problems


class PostgresLedgerMachine(LedgerMachine):
    backend = "postgres"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_ledger_behaves_like_the_model(backend: str) -> None:
    if backend == "postgres" and not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    machine = LedgerMachine if backend == "sqlite" else PostgresLedgerMachine
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)
