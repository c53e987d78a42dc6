"""Read the configuration the tracking SOP is run by into one snapshot (services/sop/tracking.py).

The snapshot reads every wing, so it lives above them all: users and tokens (identity),
the negative-stock policy (ledger), count plans and tolerance bands (counts), reorder
policies (replenishment) and notification rules (alerts), in one read-only transaction.
What is not in the database comes from the caller: the alert settings and the monitor's
job intervals (`bootstrap.Settings`), and the imbalance SOP in force.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import tzinfo

from trueup.domain.access import Action, Principal
from trueup.domain.alerts.conditions import AlertConfig
from trueup.domain.errors import InputError, NotFound
from trueup.domain.sop.model import Sop
from trueup.domain.values import Clock, utc_now
from trueup.services.alerts.monitor import JOBS
from trueup.services.alerts.port import AlertsUnitOfWorkFactory
from trueup.services.reports.port import ReportsUnitOfWorkFactory
from trueup.services.sop import versions
from trueup.services.sop.document import tracking_html, tracking_markdown
from trueup.services.sop.tracking import LISTED_POLICIES, PolicyTotal, TrackingSnapshot


def tracking_snapshot(
    uow_factory: AlertsUnitOfWorkFactory,
    *,
    caller: Principal,
    config: AlertConfig,
    every: Mapping[str, int],
    imbalance: Sop | None = None,
    clock: Clock = utc_now,
    zone: tzinfo | None = None,
) -> TrackingSnapshot:
    """The configuration as it stands now. Needs policy.read; people are named only for a
    caller with users.read (others see how many hold each role)."""
    caller.require(Action.POLICY_READ)
    names_shown = caller.can(Action.USERS_READ)
    now = clock()
    with uow_factory(readonly=True) as uow:
        users = uow.identity.users()
        tokens = [
            t for t in uow.identity.tokens() if t.source is not None and t.status(now) == "active"
        ]
        rules = uow.stock_policy.rules()
        plans = uow.counts.plans()
        tolerances = uow.counts.tolerances()
        policies = uow.replenishment.policies()
        routes = uow.notifications.rules()
    policies.sort(key=lambda p: (p.location, p.sku))
    totals = Counter((p.location, p.kind.value) for p in policies)
    return TrackingSnapshot(
        taken_at=now.astimezone(zone) if zone is not None else now,
        users=tuple(users),
        names_shown=names_shown,
        machine_tokens=tuple(tokens),
        policy_rules=tuple(sorted(rules, key=lambda r: (r.source, r.kind))),
        plans=tuple(plans),
        tolerances=dict(tolerances),
        reorder_policies=tuple(policies[:LISTED_POLICIES]),
        policy_totals=tuple(PolicyTotal(loc, kind, n) for (loc, kind), n in sorted(totals.items())),
        alert_config=config,
        notification_rules=tuple(routes),
        jobs={**JOBS, **every},
        imbalance=imbalance,
    )


def render_tracking(
    uow_factory: ReportsUnitOfWorkFactory,
    *,
    caller: Principal,
    format: str,
    config: AlertConfig,
    every: Mapping[str, int],
    clock: Clock = utc_now,
    zone: tzinfo | None = None,
) -> str:
    """The tracking SOP as configured now, as Markdown (`md`) or HTML, with the imbalance
    SOP in force (its latest version) when one is applied."""
    if format not in ("md", "html"):
        raise InputError(
            "md or html (the tracking SOP is a document)", field="format", value=format
        )
    try:
        imbalance: Sop | None = versions.show(uow_factory, caller=caller).sop
    except NotFound:
        imbalance = None
    snapshot = tracking_snapshot(
        uow_factory,
        caller=caller,
        config=config,
        every=every,
        imbalance=imbalance,
        clock=clock,
        zone=zone,
    )
    return tracking_markdown(snapshot) if format == "md" else tracking_html(snapshot)
