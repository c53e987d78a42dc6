"""One world of findings from every source, built with the events the wings write, for
incremental detection against the sweep (on the fakes and on both databases)."""

from __future__ import annotations

import json

from tests.unit.evidence.world import BIN, OPERATOR, SEEN, SITE, U, World, at
from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.cases import Case
from trueup.domain.counts.approval import NewDiscrepancy
from trueup.services.alerts.port import NewAlert
from trueup.services.counts import plans
from trueup.services.sop import versions


def installed(w: World) -> World:
    versions.install_default(w.uows, caller=OPERATOR, clock=lambda: at(24 * 30))
    return w


def approved_count(w: World, location: str, *variances: tuple[str, int]) -> None:
    """A targeted count of these items at `location` whose lines went beyond tolerance
    (the register's entries, in whole units) and the `count.approved` approving it writes."""
    skus = [sku for sku, _ in variances]
    task = plans.create_targeted(
        w.uows, scope=SITE, skus=skus, locations=[location], caller=OPERATOR, clock=lambda: at(8)
    )
    with w.uows() as uow:
        lines = {ln.sku: ln for ln in uow.counts.lines(task.id)}
        items = uow.catalog.items(skus)
        place = uow.catalog.locations([location])[location].id
        rows = []
        for sku, variance in variances:
            item = items[sku].id
            assert item is not None and place is not None
            line = lines[sku].id
            rows.append(
                NewDiscrepancy(item, place, "", "", task.id, line, 0, 0, variance * U, None, at(6))
            )
        uow.counts.add_discrepancies(rows, actor="tester")
        event = {"type": "count.approved", "sites": [SITE], "data": {"count": task.id}}
        uow.outbox.append(at(6), None, json.dumps({"batch": None, "events": [event]}))
        uow.commit()


def everything(w: World) -> None:
    """A count's variances (one opens a case, one joins it, one stays within the SOP), a
    sale that takes a store below zero, an over-receipt, and an overstock alert open too
    long."""
    approved_count(w, BIN, ("A", -6), ("B", 2))
    approved_count(w, BIN, ("A", -1))
    w.post(at(3), kind="sale", from_location="ST1", to_location="", source="pos", quantity=2)
    w.order("PO-1", "A", "10", "2026-03-01")
    w.receive("PO-1", "18", at(4))
    with w.uows() as uow:
        item = uow.catalog.items(["B"])["B"].id
        site = uow.catalog.locations([SITE])[SITE].id
        assert item is not None and site is not None
        uow.alerts.add([NewAlert(AlertKind.OVERSTOCK, item, site, 0, 0, 10 * U, at(30))])
        uow.commit()


def shape(cases: list[Case]) -> list[tuple[object, ...]]:
    """What must be equal: each case's key, classification and findings."""
    return sorted(
        (
            c.key,
            c.classification.value,
            tuple((f.kind.value, f.source, f.variance, f.recorded) for f in c.findings),
        )
        for c in cases
    )


__all__ = ["SEEN", "approved_count", "everything", "installed", "shape"]
