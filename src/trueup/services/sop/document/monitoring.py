"""The monitoring half of the tracking SOP: counts, thresholds and alerts, discrepancies.

Count plans with their schedules and the tolerance bands; reorder policies (the
thresholds), the alert conditions with their escalation waits, the notification rules
that route them, and the monitor's jobs; the discrepancy register and how recurring
issues escalate under the imbalance SOP in force.
"""

from __future__ import annotations

from datetime import timedelta

from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.alerts.notifications import Rule
from trueup.domain.counts.plans import Plan
from trueup.domain.counts.tasks import CountKind
from trueup.domain.counts.tolerance import ABC_CLASSES, ANY_SITE, DEFAULT_BANDS, Band
from trueup.domain.values import format_quantity
from trueup.services.sop.document import wording
from trueup.services.sop.document.blocks import Block, Items, Paragraph, Section, Table
from trueup.services.sop.tracking import LISTED_POLICIES, TrackingSnapshot

#: When each alert opens, completing "An alert opens when ...".
CONDITIONS = {
    AlertKind.NEGATIVE: "some balance of the item at the site is below zero",
    AlertKind.STOCKOUT: "on-hand is zero or less where the item is carried",
    AlertKind.LOW_STOCK: "the inventory position is at or below the reorder point",
    AlertKind.IN_TRANSIT: "units of a transfer closed short are still held in transit",
}
#: What each monitor job does, completing "every N: ...".
JOBS = {
    "follow": "alerts for what just moved",
    "emails": "e-mails that are due are sent",
    "escalate": "alerts nobody acknowledged are escalated",
    "sweep": "every item-location is checked against its thresholds",
    "counts": "count tasks of the plans that are due are generated",
    "digests": "digests are folded",
    "recompute": "computed reorder policies are recomputed, then orders proposed",
}


def audits(snapshot: TrackingSnapshot) -> Section:
    every = wording.seconds(snapshot.jobs.get("counts", 0))
    plans = tuple(_plan_row(plan) for plan in snapshot.plans)
    blocks: list[Block] = [
        Paragraph(
            "Counts are blind: counters never see what the record expects. Variances are "
            "computed against the record as of each count's time; lines beyond tolerance are "
            "recounted by someone else, and the inventory manager reviews and approves the "
            "result (`trueup counts review`, `trueup counts approve`). Nobody approves a "
            "count they counted."
        ),
        Paragraph("The count plans:"),
        Table(
            ("Plan", "Kind", "Covers", "Schedule", "Assigned to", "Due within", "Next"),
            plans,
            empty="No count plans are configured: counts are planned with `trueup counts plan`.",
        ),
        Paragraph(
            f"Under `trueup serve` the tasks of due plans are generated every {every} "
            "(`trueup counts generate` or `trueup monitor --once` does it at once)."
        ),
        Paragraph(
            "A counted line is within tolerance when its variance is no more than the band "
            "of its site and item class allows; a serial number must always match."
        ),
        Table(("Site", "Item class", "Within tolerance when the variance is"), _bands(snapshot)),
    ]
    return Section("Regular stock audits", tuple(blocks), anchor="audits")


def _plan_row(plan: Plan) -> tuple[str, ...]:
    if plan.kind is CountKind.FULL:
        schedule = f"every {wording.days(plan.every_days)}"
    elif plan.kind is CountKind.CYCLE:
        schedule = "; ".join(
            f"{klass} items every {wording.days(days)}"
            for klass, days in sorted(plan.cycle_days.items())
        )
    else:
        targets = [*plan.skus, *plan.locations]
        schedule = f"once, of {wording.join(targets)}" if targets else "once"
    who = plan.assign_user or wording.role(plan.assign_role)
    return (
        plan.name,
        plan.kind.value,
        plan.scope,
        schedule,
        who,
        wording.days(plan.due_days),
        f"{plan.next_at:%Y-%m-%d}",
    )


def _bands(snapshot: TrackingSnapshot) -> tuple[tuple[str, ...], ...]:
    rows = [
        (site, klass, _band(band))
        for (site, klass), band in sorted(snapshot.tolerances.items())
        if site != ANY_SITE
    ]
    for klass in ABC_CLASSES:
        band = snapshot.tolerances.get((ANY_SITE, klass), DEFAULT_BANDS[klass])
        rows.append(("any other site", klass if klass != "C" else "C or unclassified", _band(band)))
    return tuple(rows)


def _band(band: Band) -> str:
    limits = []
    if band.units:
        shown = format_quantity(band.units)
        limits.append(f"{shown} unit" + ("" if shown == "1" else "s"))
    if band.percent:
        limits.append(wording.percent(band.percent) + " of the record")
    if not limits:
        return "zero: the count must match the record"
    return (
        "at most " + wording.join(limits, "or") + (", whichever is more" if len(limits) > 1 else "")
    )


def thresholds(snapshot: TrackingSnapshot) -> Section:
    config = snapshot.alert_config
    conditions = dict(CONDITIONS)
    conditions[AlertKind.OVERSTOCK] = (
        f"the inventory position is above the max level, or above {config.cover_days} days "
        "of average demand"
    )
    alerts = tuple(
        (
            wording.capital(wording.name(kind.value)),
            conditions[kind],
            _wait(config.escalate_after.get(kind)),
        )
        for kind in AlertKind
    )
    blocks: list[Block] = [
        Paragraph(
            "Thresholds are reorder policies per item and location: a fixed min and max, or a "
            "reorder point computed from demand and lead time."
        ),
        Table(
            ("Location", "Kind of policy", "Policies"),
            tuple((t.location, t.kind, str(t.policies)) for t in snapshot.policy_totals),
            empty="No reorder policies are set: only negative stock and stockouts alert.",
        ),
        *_policies(snapshot),
        Paragraph("An alert opens, once per item, site and kind, when its condition holds:"),
        Table(("Alert", "Opens when", "Escalates if nobody acknowledges it within"), alerts),
        Paragraph("Who hears of alerts:"),
        Table(
            ("Channel", "When", "To", "Sites", "Alerts", "Events"),
            tuple(_route(rule) for rule in snapshot.notification_rules),
            empty="No notification rules are set: alerts are listed by `trueup alerts list`, "
            "but nobody is told of them.",
        ),
        Paragraph(
            "Low-stock items are proposed for reordering; the inventory manager approves "
            "proposals into purchase or transfer orders (`trueup reorder proposals`)."
        ),
        Paragraph("Under `trueup serve` the monitor runs these jobs:"),
        Items(
            tuple(
                f"every {wording.seconds(seconds)}: {JOBS.get(name, name)}"
                for name, seconds in snapshot.jobs.items()
            )
        ),
    ]
    return Section("Threshold alerts and reordering", tuple(blocks), anchor="thresholds")


def _policies(snapshot: TrackingSnapshot) -> list[Block]:
    if not snapshot.reorder_policies:
        return []
    rows = tuple(
        (
            p.location,
            p.sku,
            p.kind.value,
            format_quantity(p.reorder_point),
            format_quantity(p.order_up_to),
        )
        for p in snapshot.reorder_policies
    )
    total = sum(t.policies for t in snapshot.policy_totals)
    blocks: list[Block] = [
        Table(("Location", "SKU", "Kind", "Reorder at or below", "Order up to"), rows)
    ]
    if total > LISTED_POLICIES:
        blocks.append(
            Paragraph(
                f"The first {LISTED_POLICIES} of {total:,} policies; "
                "`trueup reorder policy list` lists them all."
            )
        )
    return blocks


def _wait(wait: timedelta | None) -> str:
    return "—" if wait is None else wording.duration(int(wait.total_seconds()))


def _route(rule: Rule) -> tuple[str, ...]:
    return (
        rule.channel.value,
        "at once" if rule.mode.value == "immediate" else "as a digest",
        wording.role(rule.role) if rule.role is not None else "every role",
        rule.site or "every site",
        wording.join(sorted(wording.name(k.value) for k in rule.kinds)) or "all",
        wording.join(sorted(e.value for e in rule.events)) or "all",
    )


def discrepancies(snapshot: TrackingSnapshot) -> Section:
    blocks: list[Block] = [
        Paragraph(
            "Every counted line beyond tolerance, and every over- or under-receipt, is "
            "logged in the discrepancy register when it is found, with its item, location, "
            "expected and counted quantities, variance and value (`GET /api/v1/discrepancies`)."
        ),
        Paragraph(
            "Investigating the root cause, documenting the corrective action and escalating "
            "recurring issues follow the imbalance-correction SOP (`trueup sop render`)."
        ),
    ]
    sop = snapshot.imbalance
    if sop is not None:
        recurrence = sop.recurrence
        rules = [
            f"A root cause that comes back {recurrence.times} times within "
            f"{wording.days(recurrence.within_days)} for the same "
            f"{wording.join(recurrence.by)} is escalated to {wording.who(recurrence.escalate_to)}.",
            *(
                f"A case waiting in one step for more than {wording.hours(e.after_hours)} is "
                f"escalated to {wording.who(e.to)}."
                for e in sop.escalation
            ),
        ]
        blocks.append(Items(tuple(rules)))
    return Section("Discrepancy reporting", tuple(blocks), anchor="discrepancies")
