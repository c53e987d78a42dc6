"""Detection: read the findings the sources hold (sources.py), and for each one not seen
before, open a case, attach it to the open case of its key and classification, or let it
be (domain/cases/detection.py decides, under the SOP in force). A new case is diagnosed at
once: the evidence wing walks the SOP's tree (services/evidence/diagnose.py), and the case
keeps its ranked hypotheses and the actions its root cause proposes; when its root cause
recurs by the SOP's rule, it is escalated with its history in the same transaction.

Two ways in, one detection (`detect_in`): the sweep (`detect`, `trueup cases detect`)
reads every source; incremental detection (services/cases/following.py) reads only the
item-locations the outbox says were touched. A sweep by someone who acts at every site
moves the monitor's cases cursor to the end of the outbox as it stood before the reads,
so what commits meanwhile is followed up.

A sweep is idempotent: a finding is known by its source record, so a second sweep over
the same sources opens nothing and attaches nothing, and known records are skipped before
what only a new finding needs is read. A finding within the thresholds that no open case
wants is not kept either; a later sweep reads it again, and opens a case when it has grown
past them (an alert left open longer, for one).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trueup.domain.access import Principal
from trueup.domain.cases.case import SYSTEM, Case
from trueup.domain.cases.detection import attach
from trueup.domain.cases.findings import Finding
from trueup.domain.cases.recurrence import escalate_recurring
from trueup.domain.cases.transitions import diagnose
from trueup.domain.sop.model import Sop
from trueup.domain.values import Clock, utc_now
from trueup.services.cases import diagnosis, events, telling
from trueup.services.cases.port import CasesUnitOfWork, CasesUnitOfWorkFactory
from trueup.services.cases.sources import SOURCE_KINDS, Pair, findings
from trueup.services.evidence.diagnose import diagnose as diagnose_finding
from trueup.services.retry import retry_transient
from trueup.services.sop import versions

#: The monitor's cursor over the outbox for cases (services/cases/following.py).
CURSOR = "cases"


@dataclass
class Sweep:
    """What a sweep did: the cases it opened (diagnosed), and the cases that each
    finding it attached joined, with that finding."""

    sop_version: int
    opened: list[Case] = field(default_factory=list)
    attached: list[tuple[Case, Finding]] = field(default_factory=list)
    #: new cases whose root cause recurs, escalated with their history
    escalated: list[Case] = field(default_factory=list)
    #: what the sweep tells the stream and the webhooks (services/cases/events.py)
    events: list[dict[str, Any]] = field(default_factory=list, repr=False)


def detect(uow: CasesUnitOfWorkFactory, *, caller: Principal, clock: Clock = utc_now) -> Sweep:
    """Sweep the sources for findings at the caller's sites, under the SOP in force."""
    shown = versions.show(uow, caller=caller)

    def sweep() -> Sweep:
        at = clock()
        with uow() as work:
            head = work.outbox.last_id()
            seen = work.alerts.cursor(CURSOR)
            done = detect_in(work, None, shown.sop, shown.info.version, caller, at)
            # a sweep of some sites only leaves the others to the monitor
            if seen != head and not caller.sites:
                work.alerts.set_cursor(CURSOR, seen, head)
            work.commit()
        return done

    return retry_transient(sweep)()


def detect_in(
    work: CasesUnitOfWork,
    pairs: Collection[Pair] | None,
    sop: Sop,
    sop_version: int,
    caller: Principal,
    at: datetime,
) -> Sweep:
    """Detection inside the caller's transaction, over the findings at these (sku,
    location) pairs (None: every one), with its case events written; the caller commits."""
    done = Sweep(sop_version)
    known = work.cases.known_sources(SOURCE_KINDS)
    fresh = [f for f in findings(work, at, pairs, known) if caller.may_act_at(f.site or None)]
    cases = work.cases.open_cases({f.key for f in fresh})
    left = [f for f in fresh if not _detected(work, cases, f, sop, done, at)]
    # a finding read before the case of its key opened joins that case now, so one pass
    # does what a second would
    opened = {c.key for c in done.opened}
    for finding in left:
        if finding.key in opened:
            _detected(work, cases, finding, sop, done, at)
    _escalate_recurring(work, done, sop, at)
    telling.tell(work, done.escalated, {sop_version: sop}, at)
    events.write(work, at, done.events)
    return done


def _detected(
    work: CasesUnitOfWork,
    cases: list[Case],
    finding: Finding,
    sop: Sop,
    done: Sweep,
    at: datetime,
) -> bool:
    """Open, attach or let be (False); `cases` (the open cases of the sweep's keys)
    follows."""
    found = attach(cases, finding, sop, done.sop_version, at)
    if found is None:
        return False
    if found.opened:
        case = work.cases.add(diagnosed(work, found.case, finding, sop))
        cases.append(case)
        done.opened.append(case)
        done.events += events.changes(case)
        return True
    work.cases.save(found.case)
    cases[:] = [found.case if c.id == found.case.id else c for c in cases]
    done.attached.append((found.case, finding))
    done.events += events.changes(found.case, len(found.case.timeline) - 1)
    return True


def _escalate_recurring(work: CasesUnitOfWork, done: Sweep, sop: Sop, at: datetime) -> None:
    """Escalate each case opened now whose root cause recurs, naming its history (the
    cases read once, those opened now among them)."""
    if not done.opened:
        return
    history = {c.id: c for c in work.cases.listed()}
    for index, case in enumerate(done.opened):
        current = history.get(case.id, case)
        raised = escalate_recurring(history.values(), current, SYSTEM, at, sop)
        if raised is current:
            continue
        work.cases.save(raised)
        history[raised.id] = raised
        done.opened[index] = raised
        done.escalated.append(raised)
        done.events += events.changes(raised, len(current.timeline))


def diagnosed(work: CasesUnitOfWork, case: Case, finding: Finding, sop: Sop) -> Case:
    """The new case diagnosed by the SOP's tree, its actions proposed, by trueup."""
    walked = diagnose_finding(work, finding, case.classification, sop)
    ranked = diagnosis.hypotheses(walked, sop)
    proposed = diagnosis.actions(walked, finding, sop, ranked)
    return diagnose(case, ranked, proposed, SYSTEM, case.opened_at, sop)
