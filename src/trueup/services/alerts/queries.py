"""Reading alerts: lists and single alerts within the reader's sites, blind where counts
are open (an alert's figures would tell a counter what the record says)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trueup.domain.access import Action, Principal
from trueup.domain.alerts.conditions import Alert, AlertStatus, parse_kind
from trueup.domain.errors import InputError
from trueup.domain.values import normalize_code
from trueup.services.alerts.evaluation import existing
from trueup.services.alerts.port import AlertQuery, AlertsUnitOfWorkFactory
from trueup.services.counts.tasks import blind

MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class AlertPage:
    alerts: list[Alert]
    #: alerts whose figures must not be shown: their item is under an open count at their
    #: site and the reader may not review counts (counts are blind)
    hidden: frozenset[int]
    next_cursor: int | None


def list_alerts(
    uow_factory: AlertsUnitOfWorkFactory,
    *,
    statuses: Iterable[str] = ("open", "acknowledged"),
    kinds: Iterable[str] = (),
    sites: Iterable[str] = (),
    sku: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
    caller: Principal,
) -> AlertPage:
    """Alerts, newest first, within the reader's sites."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"a limit from 1 to {MAX_PAGE}", field="limit", value=str(limit))
    wanted = tuple(_status(s) for s in statuses)
    kinds_ = tuple(parse_kind(k).value for k in kinds)
    codes = caller.scoped_sites(normalize_code(s) for s in sites)
    item = normalize_code(sku) if sku else None
    query = AlertQuery(wanted, kinds_, codes, item, before_id, limit)
    with uow_factory(readonly=True) as uow:
        found = uow.alerts.alerts(query)
    hidden = _hidden(uow_factory, found, caller)
    more = found[-1].id if len(found) == limit else None
    return AlertPage(found, hidden, more)


def get_alert(
    uow_factory: AlertsUnitOfWorkFactory, alert_id: int, *, caller: Principal
) -> tuple[Alert, bool]:
    """The alert, and whether its figures are hidden from this reader."""
    with uow_factory(readonly=True) as uow:
        found = existing(uow, alert_id, caller)
    return found, found.id in _hidden(uow_factory, [found], caller)


def _hidden(
    uow_factory: AlertsUnitOfWorkFactory, found: Sequence[Alert], caller: Principal
) -> frozenset[int]:
    """The alerts whose item is under an open count at their site, or whose site has a
    whole location under an open count, unless the reader may review counts."""
    if caller.can(Action.COUNTS_REVIEW) or not found:
        return frozenset()
    under = blind(uow_factory)
    if not under.keys and not under.locations:
        return frozenset()
    with uow_factory(readonly=True) as uow:
        codes = {code for _, code in under.keys} | set(under.locations)
        places = uow.catalog.locations(codes)
    counted = {(sku, places[code].site) for sku, code in under.keys if code in places}
    emptied = {places[code].site for code in under.locations if code in places}
    return frozenset(a.id for a in found if (a.sku, a.site) in counted or a.site in emptied)


def _status(text: str) -> str:
    try:
        return AlertStatus(text.strip().lower()).value
    except ValueError:
        raise InputError("open, acknowledged or resolved", field="status", value=text) from None


def summary(uow_factory: AlertsUnitOfWorkFactory) -> dict[tuple[str, str], int]:
    """(kind, status) -> how many alerts are not resolved."""
    with uow_factory(readonly=True) as uow:
        return uow.alerts.open_counts()
