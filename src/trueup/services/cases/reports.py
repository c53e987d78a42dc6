"""Exceptions reported by people: what someone saw at one item-location, in their words,
with the quantity they saw when they counted it.

A report becomes a finding of kind `reported_exception`, known by a generated source
record (`report` and an id), and takes the path detection takes (services/cases/
detection.py): it joins the open case of its item-location and classification, or opens
one (diagnosed at once) when the SOP's trigger row says so.

- With a quantity, the variance is what they saw less the record now (all lots), and the
  recorded quantity is the record now: beyond the row's thresholds it opens a case.
- Without one, the finding says only what they saw, with a variance of 0. The default
  SOP's rows open a case on units, percent or value, so such a report opens no case by
  itself, and no sign classifies it: it joins the open case of that item-location (the
  oldest, whatever its classification) if there is one.
- A report that joins no case and opens none is kept by no case; the answer says why, so
  the person can count the shelf and report again with a quantity.

Every report, whatever it did, is in the audit trail (`case.report`): who said what, seen
where, with what quantity, and what came of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from trueup.domain.access import Action, Principal
from trueup.domain.cases.case import Actor, Case, TimelineEntry
from trueup.domain.cases.detection import attach
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.errors import Forbidden, InputError
from trueup.domain.sop.model import FindingKind, Sop
from trueup.domain.values import (
    Clock,
    format_quantity,
    normalize_code,
    parse_quantity,
    to_decimal,
    utc_now,
)
from trueup.services.cases import events
from trueup.services.cases.detection import diagnosed
from trueup.services.cases.port import CasesUnitOfWork, CasesUnitOfWorkFactory
from trueup.services.counts.tasks import user_named
from trueup.services.identity.audit import CLI_ORIGIN, record_audit
from trueup.services.ledger.port import StockFilter
from trueup.services.retry import retry_transient
from trueup.services.sop import versions

#: The kind of source record a report is known by.
REPORT_SOURCE = "report"
MAX_SAYS = 500


@dataclass(frozen=True, slots=True)
class Reported:
    """What a report did: `opened` a case, was `attached` to one, or was `not_kept`
    (`why` says why); `case` is the case it opened or joined."""

    outcome: str
    finding: Finding
    sop_version: int
    case: Case | None = None
    why: str = ""


def report_exception(
    uow: CasesUnitOfWorkFactory,
    *,
    sku: str,
    location: str,
    says: str,
    seen: str | None = None,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> Reported:
    """Report what was seen at one item-location, at the caller's sites."""
    caller.require(Action.CASES_REPORT)
    words = " ".join(says.split())
    if not words:
        raise InputError("says: what you saw, in words", field="says", value=says)
    if len(words) > MAX_SAYS:
        raise InputError(f"says: at most {MAX_SAYS} characters", field="says", value=says)
    code = _code("sku", sku)
    place_code = _code("location", location)
    shown = versions.show(uow, caller=caller)

    def report() -> Reported:
        at = clock()
        with uow() as work:
            actor = _reporter(work, caller)
            finding = _finding(work, code, place_code, words, seen, caller, at)
            done = _file(work, finding, shown.sop, shown.info.version, actor, at)
            _audit(work, caller, origin, done, seen, at)
            work.commit()
        return done

    return retry_transient(report)()


def _reporter(work: CasesUnitOfWork, caller: Principal) -> Actor:
    """Who reports, in their role: at the command line, the user TRUEUP_ACTOR names when
    it names an active one (anyone else at the command line reports as its operator)."""
    if caller.local:
        user = user_named(work, caller.username)
        if user is not None and user.disabled_at is None:
            return Actor(user.username, user.role)
    return Actor(caller.username, caller.role)


def _audit(
    work: CasesUnitOfWork,
    caller: Principal,
    origin: str,
    done: Reported,
    seen: str | None,
    at: datetime,
) -> None:
    """The report in the audit trail, in the transaction that filed it: on the case it
    opened or joined, or on the item-location when no case kept it."""
    finding = done.finding
    target = (
        f"case:{done.case.id}"
        if done.case is not None
        else f"item-location:{finding.sku}@{finding.location}"
    )
    detail = {
        "sku": finding.sku,
        "location": finding.location,
        "seen": None if seen is None or not seen.strip() else seen.strip(),
        "says": finding.says,
        "report": finding.source.id,
        "outcome": done.outcome,
        "why": done.why or None,
    }
    record_audit(work, caller, origin, "case.report", target, detail, at=at)


def _code(field: str, text: str) -> str:
    try:
        return normalize_code(text)
    except InputError as error:
        raise InputError(f"{field}: {error}", field=field, value=text) from None


def _finding(
    work: CasesUnitOfWork,
    sku: str,
    location: str,
    says: str,
    seen: str | None,
    caller: Principal,
    at: datetime,
) -> Finding:
    item = work.catalog.items([sku]).get(sku)
    if item is None:
        raise InputError(f"sku: no item {sku!r}; give a SKU that exists", field="sku", value=sku)
    place = work.catalog.locations([location]).get(location)
    if place is None:
        raise InputError(
            f"location: no location {location!r}; give a location code that exists",
            field="location",
            value=location,
        )
    if place.is_virtual:
        raise InputError(
            f"location: {location!r} is virtual; give a warehouse, store, zone or bin",
            field="location",
            value=location,
        )
    if not caller.may_act_at(place.site):
        raise Forbidden(f"{location} is at site {place.site}, outside your sites")
    rows = work.ledger.stock(StockFilter(skus=(sku,), locations=(location,)))
    recorded = sum(r.quantity for r in rows if r.sku == sku and r.location == location)
    if seen is None or not seen.strip():
        variance, said = 0, says
    else:
        counted = _seen(seen, item.decimals)
        variance = counted - recorded
        said = (
            f"saw {format_quantity(counted)} against a record of "
            f"{format_quantity(recorded)}: {says}"
        )
    value = None if item.unit_cost is None else to_decimal(variance) * item.unit_cost
    return Finding(
        FindingKind.REPORTED_EXCEPTION,
        sku,
        location,
        place.site or "",
        "",
        at,
        variance,
        recorded,
        value,
        item.abc_class or "",
        SourceRecord(REPORT_SOURCE, uuid.uuid4().hex),
        says=f"reported by {caller.username}: {said}",
    )


def _seen(text: str, decimals: int) -> int:
    try:
        return 0 if text.strip() in ("0", "0.0") else parse_quantity(text, decimals)
    except InputError as error:
        raise InputError(f"seen: {error}", field="seen", value=text) from None


def _file(
    work: CasesUnitOfWork,
    finding: Finding,
    sop: Sop,
    sop_version: int,
    actor: Actor,
    at: datetime,
) -> Reported:
    cases = work.cases.open_cases([finding.key])
    found = attach(cases, finding, sop, sop_version, at, actor)
    if found is not None and found.opened:
        case = work.cases.add(diagnosed(work, found.case, finding, sop))
        events.write(work, at, events.changes(case))
        return Reported("opened", finding, sop_version, case)
    if found is not None:
        work.cases.save(found.case)
        events.write(work, at, events.changes(found.case, len(found.case.timeline) - 1))
        return Reported("attached", finding, sop_version, found.case)
    if finding.variance == 0 and cases:
        joined = _join(min(cases, key=lambda c: c.id), finding, actor, at)
        work.cases.save(joined)
        events.write(work, at, events.changes(joined, len(joined.timeline) - 1))
        return Reported("attached", finding, sop_version, joined)
    why = (
        "no quantity was given, so it opens no case, and no case is open for this "
        "item-location: count it and report what you counted"
        if finding.variance == 0
        else "it stays within the SOP's thresholds and no case is open for this item-location"
    )
    return Reported("not_kept", finding, sop_version, why=why)


def _join(case: Case, finding: Finding, actor: Actor, at: datetime) -> Case:
    entry = TimelineEntry(
        case.status,
        case.status,
        actor.name,
        actor.role,
        at,
        case.sop_version,
        f"finding attached: reported exception at {finding.location} "
        f"({finding.source.kind} {finding.source.id}): {finding.says}",
    )
    return replace(case, findings=(*case.findings, finding), timeline=(*case.timeline, entry))
