"""Reorder policies: set from a policies file or one row, listed, deleted; and the
reorder calculator. The package's public face: recomputing (recompute.py),
positions and proposals (proposals.py) and the shared reads
(sources.py) are importable from here too.

A policy is per item and site (a warehouse or a store) and covers the whole site, every
location in it. Setting computed policies computes them at once, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal, InvalidOperation

from trueup.domain.access import Principal
from trueup.domain.errors import Forbidden, InputError, NotFound, RowProblem, RowsRejected
from trueup.domain.replenishment.reorder import (
    DEFAULT_HISTORY_DAYS,
    DEFAULT_REVIEW_DAYS,
    DEFAULT_SERVICE_LEVEL,
    Figures,
    Inputs,
    Policy,
    PolicyKind,
    figures,
    parse_service_level,
)
from trueup.domain.values import Clock, normalize_code, utc_now
from trueup.services.ledger.files import Table, table_from_dicts
from trueup.services.replenishment.policy_rows import Known, policy_of
from trueup.services.replenishment.port import NewPolicy, ReplenishmentUnitOfWorkFactory
from trueup.services.replenishment.proposals import (
    PolicyPosition,
    ProposalRun,
    approve,
    generate_proposals,
    get_proposal,
    positions,
    proposal,
    proposals,
    reject,
)
from trueup.services.replenishment.recompute import (
    MAX_HISTORY_DAYS,
    RecomputeReport,
    history_window,
    recompute,
    recompute_policies,
)
from trueup.services.replenishment.sources import (
    ids_of_items,
    ids_of_sites,
    preferred_suppliers,
    supplier_item_for,
    supplier_performance,
)
from trueup.services.retry import retry_transient

__all__ = [
    "DEFAULT_HISTORY_DAYS",
    "DEFAULT_REVIEW_DAYS",
    "DEFAULT_SERVICE_LEVEL",
    "MAX_HISTORY_DAYS",
    "MAX_PROBLEMS_SHOWN",
    "POLICY_COLUMNS",
    "PolicyPosition",
    "ProposalRun",
    "RecomputeReport",
    "approve",
    "delete_policy",
    "generate_proposals",
    "get_proposal",
    "history_window",
    "ids_of_items",
    "ids_of_sites",
    "policies",
    "positions",
    "preferred_suppliers",
    "proposal",
    "proposals",
    "recompute",
    "reject",
    "set_policies",
    "set_policy",
    "supplier_item_for",
    "supplier_performance",
    "what_if",
]

MAX_PROBLEMS_SHOWN = 100
#: The columns of a policies file (docs/formats.md, "Reorder policies").
POLICY_COLUMNS = (
    "sku",
    "location",
    "kind",
    "min",
    "max",
    "service_level",
    "lead_time_days",
    "lead_time_std_days",
    "review_days",
    "pack_size",
    "moq",
    "supplier",
    "source_location",
)


# -- policies ------------------------------------------------------------------------------
@retry_transient
def set_policies(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    table: Table,
    *,
    caller: Principal,
    clock: Clock = utc_now,
) -> list[Policy]:
    """Create or replace the policies of a policies file (or one row), all or nothing,
    each at a site in the caller's scope. Computed policies are computed at once from the
    history there is."""
    moment = clock()
    rows = _cells(table)
    with uow_factory() as uow:
        known = Known(
            uow.catalog.items(),
            uow.catalog.locations(),
            {code: s.id or 0 for code, s in uow.purchasing.suppliers().items()},
        )
        saved = _read_policies(rows, table.name, known, caller, moment)
        uow.replenishment.save_policies(saved)
        computed = [r for r in saved if r.kind is PolicyKind.COMPUTED]
        if computed:
            recompute_policies(
                uow,
                moment,
                DEFAULT_HISTORY_DAYS,
                item_ids={r.item_id for r in computed},
                location_ids={r.location_id for r in computed},
            )
        keys = {(r.item_id, r.location_id) for r in saved}
        made = [
            p
            for p in uow.replenishment.policies(item_ids={k[0] for k in keys})
            if (p.item_id, p.location_id) in keys
        ]
        uow.commit()
    return made


def _cells(table: Table) -> list[tuple[int, dict[str, str]]]:
    """(line, cells by column) of every row, read before the transaction begins."""
    columns = {
        name: table.column(name, required=name in ("sku", "location")) for name in POLICY_COLUMNS
    }
    return [
        (
            line,
            {
                name: (values[i] if i is not None and i < len(values) else "")
                for name, i in columns.items()
            },
        )
        for line, values in table.rows()
    ]


def _read_policies(
    rows: list[tuple[int, dict[str, str]]],
    file: str,
    known: Known,
    caller: Principal,
    moment: datetime,
) -> list[NewPolicy]:
    """Every row's policy, at a site in the caller's scope; RowsRejected naming every
    bad row when there is one."""
    saved: list[NewPolicy] = []
    problems: list[RowProblem] = []
    for line, cells in rows:
        try:
            row = policy_of(cells, known, caller.username, moment)
            place = known.locations[normalize_code(cells["location"])]
            if not caller.may_act_at(place.site):
                raise InputError(
                    "a location at one of your sites", field="location", value=place.code
                )
            saved.append(row)
        except InputError as error:
            problems.append(RowProblem(line, error.field or "row", error.value, str(error), file))
    if problems:
        raise RowsRejected(problems[:MAX_PROBLEMS_SHOWN], total_problems=len(problems))
    return saved


def set_policy(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    caller: Principal,
    clock: Clock = utc_now,
    **fields: str,
) -> Policy:
    """One policy, given as the cells of one row of a policies file."""
    row = {name: fields.get(name, "") for name in POLICY_COLUMNS}
    made = set_policies(uow_factory, table_from_dicts("policy", [row]), caller=caller, clock=clock)
    return made[0]


def policies(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    caller: Principal,
    sites: Collection[str] = (),
    skus: Collection[str] = (),
) -> list[Policy]:
    """Every policy at these sites (all of the caller's when none are named), of these
    items, in one query, by SKU and location."""
    with uow_factory(readonly=True) as uow:
        chosen = uow.replenishment.policies(
            site_ids=ids_of_sites(uow, caller.scoped_sites(sites)),
            item_ids=ids_of_items(uow, skus),
        )
    return sorted(chosen, key=lambda p: (p.sku, p.location))


@retry_transient
def delete_policy(
    uow_factory: ReplenishmentUnitOfWorkFactory, sku: str, location: str, *, caller: Principal
) -> None:
    """Remove the policy of an item at a site in the caller's scope."""
    with uow_factory() as uow:
        found = uow.catalog.items([normalize_code(sku)]).get(normalize_code(sku))
        place = uow.catalog.locations([normalize_code(location)]).get(normalize_code(location))
        if found is None or place is None or found.id is None or place.id is None:
            raise NotFound(f"no reorder policy for {sku} at {location}")
        if not caller.may_act_at(place.site):
            raise Forbidden(f"{caller.username} may not act at site {place.site!r}")
        if not uow.replenishment.delete_policy(found.id, place.id):
            raise NotFound(f"no reorder policy for {sku} at {location}")
        uow.commit()


def what_if(
    demand_mean: str,
    demand_std: str,
    lead_time: str,
    service_level: str,
    lead_time_std: str = "0",
    review_days: str = "0",
) -> Figures:
    """The reorder calculator: figures from inputs given by hand (all sources fixed)."""
    numbers: dict[str, float] = {}
    for name, text in (
        ("demand_mean", demand_mean),
        ("demand_std", demand_std),
        ("lead_time", lead_time),
        ("lead_time_std", lead_time_std),
        ("review_days", review_days),
    ):
        try:
            value = Decimal(str(text).strip())
        except (InvalidOperation, ValueError):
            raise InputError("a number such as 12 or 1.5", field=name, value=str(text)) from None
        if not value.is_finite() or value < 0:
            raise InputError("a number of at least 0", field=name, value=str(text))
        numbers[name] = float(value)
    return figures(
        Inputs(
            demand_mean=numbers["demand_mean"],
            demand_std=numbers["demand_std"],
            lead_time_mean=numbers["lead_time"],
            lead_time_std=numbers["lead_time_std"],
            service_level=parse_service_level(service_level),
            review_days=numbers["review_days"],
        )
    )
