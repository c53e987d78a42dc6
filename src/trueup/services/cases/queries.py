"""Reading cases, within the reader's sites."""

from __future__ import annotations

from trueup.domain.access import Principal
from trueup.domain.cases.case import Case, CaseStatus
from trueup.domain.errors import InputError, NotFound
from trueup.domain.values import normalize_code
from trueup.services.cases.port import CasesUnitOfWorkFactory


def list_cases(
    uow: CasesUnitOfWorkFactory,
    *,
    status: str | None = None,
    site: str | None = None,
    caller: Principal,
    after_id: int = 0,
    limit: int | None = None,
) -> list[Case]:
    """The cases, oldest first, of one status and one site when given, at the caller's
    sites; a page of at most `limit` after the case `after_id`, read in the database."""
    wanted = _status(status) if status else None
    sites = caller.scoped_sites([normalize_code(site)] if site else [])
    with uow(readonly=True) as work:
        return work.cases.listed(
            wanted, sites[0] if site else None, sites=sites, after_id=after_id, limit=limit
        )


def get_case(uow: CasesUnitOfWorkFactory, case_id: int, *, caller: Principal) -> Case:
    """One case; a case at a site outside the reader's is as good as absent."""
    with uow(readonly=True) as work:
        found = work.cases.get(case_id)
    if found is None or not caller.may_act_at(found.site or None):
        raise NotFound(f"no case {case_id}")
    return found


def _status(text: str) -> CaseStatus:
    try:
        return CaseStatus(text.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in CaseStatus)
        raise InputError(f"one of {known}", field="status", value=text) from None
