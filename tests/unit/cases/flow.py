"""A world on the fakes for the case workflow's use cases: the standard items and
locations, the default SOP, 10 of item A in bin DC1-A-01, and a case of A diagnosed with
the actions a test gives it.

The default case: a count at SEEN found 6 of A in DC1-A-01 against a record of 10,
counted by wendy; a shrinkage case, root cause theft or damage.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from tests.builders import user
from tests.unit.evidence.world import BIN, SEEN, SITE, U, World, at
from trueup.domain.access import Principal, Role
from trueup.domain.cases import (
    SYSTEM,
    AdjustTo,
    Case,
    Finding,
    Hypothesis,
    ProposedAction,
    SourceRecord,
    attach,
    diagnose,
    propose,
)
from trueup.domain.cases.actions import Parameters
from trueup.domain.ledger.policy import SYSTEM_SOURCE
from trueup.domain.sop.model import FindingKind, RootCause
from trueup.services.cases.port import CasesUnitOfWorkFactory
from trueup.services.ledger.port import MovementPage, StockFilter
from trueup.services.sop import versions
from trueup.services.sop.reading import default_sop_text, read_sop

SOP = read_sop(default_sop_text())
MARIA = user(Role.INVENTORY_MANAGER, name="maria", user_id=2)
OLAF = user(Role.INVENTORY_MANAGER, name="olaf", user_id=3)
FIONA = user(Role.FINANCE, name="fiona", user_id=4)
WENDY = user(Role.WAREHOUSE_STAFF, SITE, name="wendy", user_id=5)
AUDREY = user(Role.AUDITOR, name="audrey", user_id=6)
ADA = user(Role.ADMIN, name="ada", user_id=7)


def world() -> World:
    w = World()
    versions.install_default(w.uows, caller=SYSTEM_PRINCIPAL, clock=lambda: at(24 * 30))
    w.post(at(48), quantity=10, to_location=BIN)
    return w


SYSTEM_PRINCIPAL = Principal.operator("tester")


def later(hours: float) -> datetime:
    return SEEN + timedelta(hours=hours)


def clock(hours: float) -> Callable[[], datetime]:
    moment = later(hours)
    return lambda: moment


def action(action_id: str, parameters: Parameters, value: str = "40") -> ProposedAction:
    return propose(SOP, action_id, parameters, quantity=4 * U, value=Decimal(value))


def adjust(quantity: int = 6, location: str = BIN) -> ProposedAction:
    return action("adjust_record", AdjustTo(location, quantity * U, SEEN))


def case_of(
    w: World,
    *actions: ProposedAction,
    location: str = BIN,
    counter: str = "wendy",
    variance: int = -4,
    recorded: int = 10,
    sku: str = "A",
) -> int:
    """A case diagnosed at SEEN with these actions (an adjustment to 6 by default)."""
    return case_in(
        w.uows,
        *actions,
        location=location,
        counter=counter,
        variance=variance,
        recorded=recorded,
        sku=sku,
    )


def no_approval_for_corrections(w: World) -> None:
    """Version 2 of the SOP: system corrections need no approval."""
    text = (
        default_sop_text()
        .replace(
            "kinds: [recount, process_fix]\n", "kinds: [recount, process_fix, system_correction]\n"
        )
        .replace(
            "{not: [recount, process_fix]}", "{not: [recount, process_fix, system_correction]}"
        )
    )
    versions.apply(w.uows, text.encode(), reason="trust the counts", caller=SYSTEM_PRINCIPAL)


def case_in(
    uows: CasesUnitOfWorkFactory,
    *actions: ProposedAction,
    location: str = BIN,
    counter: str = "wendy",
    variance: int = -4,
    sop_version: int = 1,
    recorded: int = 10,
    sku: str = "A",
) -> int:
    """A case diagnosed at SEEN with these actions, kept through any unit of work."""
    found = Finding(
        FindingKind.COUNT_VARIANCE,
        sku,
        location,
        SITE,
        "",
        SEEN,
        variance * U,
        recorded * U,
        Decimal(abs(variance) * 10),
        "",
        SourceRecord("discrepancy", "1"),
        says="count: 6 against 10",
        counter=counter,
    )
    opened = attach([], found, SOP, sop_version, SEEN)
    assert opened is not None
    cause = Hypothesis(RootCause.THEFT_OR_DAMAGE, Decimal("0.6"), "theft_or_damage", ())
    with uows() as uow:
        kept = uow.cases.add(opened.case)
        done = diagnose(kept, [cause], actions or (adjust(),), SYSTEM, SEEN, SOP)
        uow.cases.save(done)
        uow.commit()
    return kept.id


def get(w: World, case_id: int) -> Case:
    with w.read() as uow:
        found = uow.cases.get(case_id)
    assert found is not None
    return found


def movements(w: World) -> int:
    with w.read() as uow:
        return len(uow.ledger.movements_page(MovementPage(limit=10_000)))


def case_movements(w: World, case_id: int) -> list[str]:
    with w.read() as uow:
        found = uow.ledger.movements_page(MovementPage(source=SYSTEM_SOURCE, limit=10_000))
    return [m.external_id for m in found if m.external_id.startswith(f"case:{case_id}:")]


def on_hand(w: World, location: str = BIN, as_of: datetime | None = None) -> int:
    with w.read() as uow:
        rows = uow.ledger.stock(StockFilter(skus=("A",), locations=(location,), as_of=as_of))
    return sum(r.quantity for r in rows)


def due(days: int = 2) -> date:
    return (SEEN + timedelta(days=days)).date()
