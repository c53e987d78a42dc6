"""A small world on the fakes for the KPIs: the standard locations, two items with a
cost, the default SOP, and one line each to post a movement, approve a count, open an
alert and keep a case."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.builders import LOCATIONS, movement, table
from tests.fakes import FakeUnitOfWorkFactory
from tests.fakes.counts import StoredLine
from trueup.domain.access import Principal
from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.cases.case import Case
from trueup.domain.counts.tasks import Combine, CountKind, LineStatus, NewLine, TaskStatus
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.alerts.port import NewAlert
from trueup.services.counts.port import NewTask
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_table
from trueup.services.sop import versions

U = QUANTITY_SCALE
OPERATOR = Principal.operator("tester")
SITE, BIN, OTHER_BIN = "DC1", "DC1-A-01", "DC1-A-02"
#: The day most tests look at, in UTC, and the moment the KPIs are asked for.
DAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)
ITEMS = [
    {"sku": "A", "name": "Item A", "unit": "each", "unit_cost": "2.50"},
    {"sku": "B", "name": "Item B", "unit": "each", "unit_cost": "10"},
]
_ids = itertools.count(1)


def on(day: date, hour: float = 12) -> datetime:
    """A moment of a day (UTC)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


class World:
    def __init__(self) -> None:
        self.uows = FakeUnitOfWorkFactory()
        import_locations(self.uows, table_from_dicts("locations.csv", LOCATIONS))
        import_items(self.uows, table_from_dicts("items.csv", ITEMS))
        versions.install_default(self.uows, caller=OPERATOR, clock=lambda: on(DAY, -48))

    def post(self, occurred: datetime, recorded: datetime | None = None, **fields: Any) -> None:
        """A movement that occurred at `occurred` and reached trueup at `recorded`."""
        row = movement(occurred_at=occurred.isoformat(), **fields)
        moment = recorded or occurred + timedelta(seconds=1)
        post_table(self.uows, table(row), caller=OPERATOR, clock=lambda: moment)

    def receive(self, sku: str, quantity: int, when: datetime) -> None:
        self.post(when, sku=sku, quantity=quantity, to_location=BIN)

    def lose(
        self, sku: str, quantity: int, when: datetime, recorded: datetime | None = None
    ) -> None:
        """A negative adjustment: stock written off to `loss`."""
        self.post(
            when,
            recorded,
            kind="adjustment",
            sku=sku,
            quantity=quantity,
            from_location=BIN,
            to_location="loss",
            source="manual",
        )

    def count(self, approved_at: datetime, *lines: tuple[str, int, int, bool]) -> None:
        """An approved count of (sku, expected, counted, within) lines at the bin."""
        with self.uows() as uow:
            place = uow.catalog.locations([BIN])[BIN].id
            assert place is not None
            task_id = uow.counts.add_task(
                NewTask(
                    None,
                    CountKind.TARGETED,
                    place,
                    Combine.SUM,
                    "",
                    "",
                    approved_at,
                    "t",
                    approved_at,
                )
            )
            items = uow.catalog.items()
            rows = [
                NewLine(task_id, items[sku].id, place, "", "", "B", LineStatus.APPROVED.value)
                for sku, *_ in lines
            ]
            uow.counts.add_lines(rows)
            uow.commit()
        store = self.uows.store.counts
        task = store.tasks[task_id]
        task.status, task.approved_at = TaskStatus.APPROVED, approved_at
        mine = [line for line in store.lines.values() if line.row.task_id == task_id]
        for stored, (_, expected, counted, within) in zip(mine, lines, strict=True):
            _settle(stored, expected * U, counted * U, within, approved_at)

    def alert(self, kind: AlertKind, sku: str, opened: datetime, threshold: int) -> None:
        with self.uows() as uow:
            item = uow.catalog.items([sku])[sku].id
            site = uow.catalog.locations([SITE])[SITE].id
            assert item is not None and site is not None
            uow.alerts.add([NewAlert(kind, item, site, 0, 0, threshold * U, opened)])
            uow.commit()

    def keep(self, *cases: Case) -> None:
        for case in cases:
            self.uows.store.cases.cases[case.id] = case


def shifted(case: Case, by: timedelta, case_id: int, **changes: object) -> Case:
    """The same case's story, `by` later, as case `case_id`."""
    timeline = tuple(replace(e, at=e.at + by) for e in case.timeline)
    findings = tuple(replace(f, observed_at=f.observed_at + by) for f in case.findings)
    actions = tuple(
        replace(
            a,
            requested_at=None if a.requested_at is None else a.requested_at + by,
            approvals=tuple(replace(given, at=given.at + by) for given in a.approvals),
        )
        for a in case.actions
    )
    moved = replace(
        case,
        id=case_id,
        opened_at=case.opened_at + by,
        timeline=timeline,
        findings=findings,
        actions=actions,
    )
    return replace(moved, **changes)  # type: ignore[arg-type]


def _settle(line: StoredLine, expected: int, counted: int, within: bool, at: datetime) -> None:
    line.status = LineStatus.APPROVED
    line.counted, line.expected, line.within = counted, expected, int(within)
    line.counted_at = at
