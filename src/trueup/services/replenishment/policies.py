"""Reorder policies: set from a policies file or one row, listed, deleted; and the
reorder calculator. The package's public face: recomputing (recompute.py),
positions and proposals (proposals.py) and the shared reads
(sources.py) are importable from here too.

A policy is per item and site (a warehouse or a store) and covers the whole site, every
location in it. Setting computed policies computes them at once, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from trueup.domain.errors import InputError, NotFound, RowProblem, RowsRejected
from trueup.domain.ledger.model import Item, Location
from trueup.domain.replenishment.reorder import (
    DEFAULT_HISTORY_DAYS,
    DEFAULT_REVIEW_DAYS,
    DEFAULT_SERVICE_LEVEL,
    Figures,
    Inputs,
    Policy,
    PolicyKind,
    check_min_max,
    figures,
    parse_kind,
    parse_service_level,
)
from trueup.domain.values import normalize_code, parse_quantity, utc_now
from trueup.services.ledger.files import Table, table_from_dicts
from trueup.services.replenishment.port import ReplenishmentUnitOfWorkFactory
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
def _amount(text: str, item: Item, name: str) -> int:
    """A quantity in the item's base unit that may be zero (a min of 0)."""
    stripped = text.strip()
    try:
        if Decimal(stripped) == 0:
            return 0
    except (InvalidOperation, ValueError):
        pass
    try:
        return parse_quantity(stripped, item.decimals)
    except InputError as error:
        raise InputError(str(error), field=name, value=text) from None


def _days(text: str, name: str) -> Decimal | None:
    stripped = text.strip()
    if not stripped:
        return None
    try:
        value = Decimal(stripped)
    except (InvalidOperation, ValueError):
        raise InputError("a number of days such as 4 or 2.5", field=name, value=text) from None
    if not value.is_finite() or not 0 <= value <= MAX_HISTORY_DAYS:
        raise InputError(f"days from 0 to {MAX_HISTORY_DAYS}", field=name, value=text)
    return value


def _policy_row(
    cells: dict[str, str],
    items: dict[str, Item],
    locations: dict[str, Location],
    supplier_ids: dict[str, int],
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    sku = normalize_code(cells.get("sku", ""))
    found = items.get(sku)
    if found is None:
        raise InputError("a SKU that exists", field="sku", value=cells.get("sku", ""))
    code = normalize_code(cells.get("location", ""))
    place = locations.get(code)
    if place is None or not place.kind.is_site:
        raise InputError(
            "a site that exists: a warehouse or a store (a policy covers the whole site)",
            field="location",
            value=code,
        )
    kind = parse_kind(cells.get("kind", "") or "fixed")
    row: dict[str, Any] = {
        "item_id": found.id,
        "location_id": place.id,
        "kind": kind.value,
        "min_qty": None,
        "max_qty": None,
        "reorder_point": 0,
        "safety_stock": None,
        "order_up_to": 0,
        "service_level": None,
        "lead_time_days": _days(cells.get("lead_time_days", ""), "lead_time_days"),
        "lead_time_std_days": _days(cells.get("lead_time_std_days", ""), "lead_time_std_days"),
        "review_days": DEFAULT_REVIEW_DAYS,
        "pack_size": None,
        "moq": None,
        "supplier_id": None,
        "source_location_id": None,
        "inputs": "{}",
        "computed_at": None,
        "updated_by": actor,
        "updated_at": now,
    }
    review = cells.get("review_days", "").strip()
    if review:
        if not review.isdigit() or not 0 <= int(review) <= 365:
            raise InputError("whole days from 0 to 365", field="review_days", value=review)
        row["review_days"] = int(review)
    if kind is PolicyKind.FIXED:
        if not cells.get("min", "").strip() or not cells.get("max", "").strip():
            raise InputError("a fixed policy has a min and a max", field="min")
        low = _amount(cells["min"], found, "min")
        high = _amount(cells["max"], found, "max")
        check_min_max(low, high)
        row.update(min_qty=low, max_qty=high, reorder_point=low, order_up_to=high)
    else:
        level = cells.get("service_level", "").strip()
        row["service_level"] = parse_service_level(level) if level else DEFAULT_SERVICE_LEVEL
    if cells.get("pack_size", "").strip():
        row["pack_size"] = parse_quantity(cells["pack_size"], found.decimals)
    if cells.get("moq", "").strip():
        row["moq"] = _amount(cells["moq"], found, "moq")
    vendor = normalize_code(cells.get("supplier", ""))
    if vendor:
        if vendor not in supplier_ids:
            raise InputError("a supplier that exists", field="supplier", value=vendor)
        row["supplier_id"] = supplier_ids[vendor]
    source = normalize_code(cells.get("source_location", ""))
    if source:
        origin = locations.get(source)
        if origin is None or not origin.kind.is_site or origin.code == place.code:
            raise InputError(
                "another site: the warehouse that replenishes this one",
                field="source_location",
                value=source,
            )
        row["source_location_id"] = origin.id
    return row


@retry_transient
def set_policies(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    table: Table,
    *,
    actor: str,
    now: datetime | None = None,
    scope: Callable[[str | None], bool] | None = None,
) -> list[Policy]:
    """Create or replace the policies of a policies file (or one row), all or nothing.
    Computed policies are computed at once from the history there is."""
    moment = now or utc_now()
    columns = {
        name: table.column(name, required=name in ("sku", "location")) for name in POLICY_COLUMNS
    }
    rows = list(table.rows())
    problems: list[RowProblem] = []
    with uow_factory() as uow:
        items = uow.catalog.items()
        locations = uow.catalog.locations()
        supplier_ids = {code: s.id or 0 for code, s in uow.replenishment.suppliers().items()}
        saved: list[dict[str, Any]] = []
        for line, values in rows:
            cells = {
                name: (values[i] if i is not None and i < len(values) else "")
                for name, i in columns.items()
            }
            try:
                row = _policy_row(cells, items, locations, supplier_ids, actor, moment)
                place = locations[normalize_code(cells["location"])]
                if scope is not None and not scope(place.site):
                    raise InputError(
                        "a location at one of your sites", field="location", value=place.code
                    )
                saved.append(row)
            except InputError as error:
                problems.append(
                    RowProblem(line, error.field or "row", error.value, str(error), table.name)
                )
        if problems:
            raise RowsRejected(problems[:MAX_PROBLEMS_SHOWN], total_problems=len(problems))
        uow.replenishment.save_policies(saved)
        keys = {(r["item_id"], r["location_id"]) for r in saved}
        computed = [r for r in saved if r["kind"] == PolicyKind.COMPUTED.value]
        if computed:
            recompute_policies(
                uow,
                moment,
                DEFAULT_HISTORY_DAYS,
                item_ids={r["item_id"] for r in computed},
                location_ids={r["location_id"] for r in computed},
            )
        made = [
            p
            for p in uow.replenishment.policies(item_ids={k[0] for k in keys})
            if (p.item_id, p.location_id) in keys
        ]
        uow.commit()
    return made


def set_policy(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    actor: str,
    scope: Callable[[str | None], bool] | None = None,
    **fields: str,
) -> Policy:
    """One policy, given as the cells of one row of a policies file."""
    row = {name: fields.get(name, "") for name in POLICY_COLUMNS}
    made = set_policies(uow_factory, table_from_dicts("policy", [row]), actor=actor, scope=scope)
    return made[0]


def policies(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    sites: Collection[str] = (),
    skus: Collection[str] = (),
) -> list[Policy]:
    """Every policy (at these sites, of these items), in one query, by SKU and location."""
    with uow_factory(readonly=True) as uow:
        chosen = uow.replenishment.policies(
            site_ids=ids_of_sites(uow, sites), item_ids=ids_of_items(uow, skus)
        )
    return sorted(chosen, key=lambda p: (p.sku, p.location))


@retry_transient
def delete_policy(uow_factory: ReplenishmentUnitOfWorkFactory, sku: str, location: str) -> None:
    with uow_factory() as uow:
        found = uow.catalog.items([normalize_code(sku)]).get(normalize_code(sku))
        place = uow.catalog.locations([normalize_code(location)]).get(normalize_code(location))
        if found is None or place is None or found.id is None or place.id is None:
            raise NotFound(f"no reorder policy for {sku} at {location}")
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
