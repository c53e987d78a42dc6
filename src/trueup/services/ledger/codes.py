"""Refusing filters that name codes the catalog does not hold."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from trueup.domain.ledger.codes import unknown_code
from trueup.services.ledger.port import LedgerUnitOfWorkFactory


def require_known(
    uow_factory: LedgerUnitOfWorkFactory,
    *,
    skus: Collection[str] = (),
    locations: Collection[str] = (),
    sites: Collection[str] = (),
) -> None:
    """Raise NotFound for the first SKU, location or site code the catalog does not
    hold, naming the nearest known code. A filter with an unknown code would match
    nothing and read as "no stock" or "no movements", which is not what happened."""
    if not (skus or locations or sites):
        return
    with uow_factory(readonly=True) as uow:
        if skus:
            found = uow.catalog.items(skus)
            missing = _missing(skus, found)
            if missing is not None:
                raise unknown_code("SKU", missing, uow.catalog.items())
        if locations or sites:
            places = uow.catalog.locations().values()
            _refuse("location", locations, {loc.code for loc in places})
            known_sites = {loc.site for loc in places if loc.site} | {
                loc.code for loc in places if loc.kind.is_site
            }
            _refuse("site", sites, known_sites)


def _missing(asked: Iterable[str], known: Collection[str]) -> str | None:
    return next((code for code in asked if code not in known), None)


def _refuse(noun: str, asked: Iterable[str], known: Collection[str]) -> None:
    missing = _missing(asked, known)
    if missing is not None:
        raise unknown_code(noun, missing, known)
