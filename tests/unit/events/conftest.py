"""Webhooks on the fakes: a shop's sites, events written to the outbox as a posting
writes them, a clock moved by hand and a receiver in memory."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.builders import LOCATIONS
from tests.fakes import FakeUnitOfWorkFactory
from trueup.domain.access import Principal
from trueup.domain.ledger.model import Location, LocationKind
from trueup.services.events.outbox import MOVEMENT_POSTED
from trueup.services.events.port import Answer, SendFailed, SignedRequest

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
#: Whoever runs the command line: every action at every site.
ROOT = Principal.operator("root")
REFUSED = "ConnectError: [Errno 111] Connection refused"


class Clock:
    """Now, moved by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeSender:
    """A receiver in memory: it answers with the statuses it is given, in order, then
    with `default`; None is no answer at all. `during` runs inside each send, for what
    happens while an attempt is in flight."""

    def __init__(self, *statuses: int | None, default: int = 200) -> None:
        self.statuses = list(statuses)
        self.default = default
        self.requests: list[SignedRequest] = []
        self.during: Callable[[SignedRequest], None] | None = None

    def send(self, request: SignedRequest) -> Answer:
        self.requests.append(request)
        if self.during is not None:
            self.during(request)
        status = self.statuses.pop(0) if self.statuses else self.default
        if status is None:
            raise SendFailed(REFUSED)
        return Answer(status) if 200 <= status < 300 else Answer(status, "receiver says no")

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.body) for request in self.requests]


def event(kind: str = MOVEMENT_POSTED, *sites: str, **data: object) -> dict[str, Any]:
    """One event as a posting lists it in its outbox row."""
    return {"type": kind, "sites": list(sites), "data": data}


def commit_events(uows: FakeUnitOfWorkFactory, *events: dict[str, Any], at: datetime = T0) -> None:
    """One committed transaction that raised `events`: one outbox row."""
    with uows() as uow:
        uow.outbox.append(at, None, json.dumps({"events": list(events)}))
        uow.commit()


@pytest.fixture
def shop() -> FakeUnitOfWorkFactory:
    """DC1 (with bins), stores ST1 and ST2."""
    uows = FakeUnitOfWorkFactory()
    with uows() as uow:
        uow.catalog.add_locations(
            [Location(row["code"], row["name"], LocationKind(row["kind"])) for row in LOCATIONS]
        )
        uow.commit()
    return uows
