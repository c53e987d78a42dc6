"""Detection as a sweep: read every finding the sources hold (sources.py), and for each
one not seen before, open a case, attach it to the open case of its key and
classification, or let it be (domain/cases/detection.py decides, under the SOP in
force). A new case is diagnosed at once: the evidence wing walks the SOP's tree
(services/evidence/diagnose.py), and the case keeps its ranked hypotheses and the actions
its root cause proposes.

A sweep is idempotent: a finding is known by its source record, so a second sweep over
the same sources opens nothing and attaches nothing. A finding within the thresholds
that no open case wants is not kept either; a later sweep reads it again, and opens a
case when it has grown past them (an alert left open longer, for one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trueup.domain.access import Principal
from trueup.domain.cases.case import SYSTEM, Case
from trueup.domain.cases.detection import attach
from trueup.domain.cases.findings import Finding
from trueup.domain.cases.transitions import diagnose
from trueup.domain.sop.model import Sop
from trueup.domain.values import Clock, utc_now
from trueup.services.cases import diagnosis, events
from trueup.services.cases.port import CasesUnitOfWork, CasesUnitOfWorkFactory
from trueup.services.cases.sources import SOURCE_KINDS, findings
from trueup.services.evidence.diagnose import diagnose as diagnose_finding
from trueup.services.retry import retry_transient
from trueup.services.sop import versions


@dataclass
class Sweep:
    """What a sweep did: the cases it opened (diagnosed), and the cases that each
    finding it attached joined, with that finding."""

    sop_version: int
    opened: list[Case] = field(default_factory=list)
    attached: list[tuple[Case, Finding]] = field(default_factory=list)
    #: what the sweep tells the stream and the webhooks (services/cases/events.py)
    events: list[dict[str, Any]] = field(default_factory=list, repr=False)


def detect(uow: CasesUnitOfWorkFactory, *, caller: Principal, clock: Clock = utc_now) -> Sweep:
    """Sweep the sources for findings at the caller's sites, under the SOP in force."""
    shown = versions.show(uow, caller=caller)

    def sweep() -> Sweep:
        at = clock()
        done = Sweep(shown.info.version)
        with uow() as work:
            known = work.cases.known_sources(SOURCE_KINDS)
            fresh = [
                f
                for f in findings(work, at)
                if f.source not in known and caller.may_act_at(f.site or None)
            ]
            cases = work.cases.open_cases({f.key for f in fresh})
            for finding in fresh:
                _detected(work, cases, finding, shown.sop, done, at)
            events.write(work, at, done.events)
            work.commit()
        return done

    return retry_transient(sweep)()


def _detected(
    work: CasesUnitOfWork,
    cases: list[Case],
    finding: Finding,
    sop: Sop,
    done: Sweep,
    at: datetime,
) -> None:
    """Open, attach or let be; `cases` (the open cases of the sweep's keys) follows."""
    found = attach(cases, finding, sop, done.sop_version, at)
    if found is None:
        return
    if found.opened:
        case = diagnosed(work, work.cases.add(found.case), finding, sop)
        work.cases.save(case)
        cases.append(case)
        done.opened.append(case)
        done.events += events.changes(case)
        return
    work.cases.save(found.case)
    cases[:] = [found.case if c.id == found.case.id else c for c in cases]
    done.attached.append((found.case, finding))
    done.events += events.changes(found.case, len(found.case.timeline) - 1)


def diagnosed(work: CasesUnitOfWork, case: Case, finding: Finding, sop: Sop) -> Case:
    """The new case diagnosed by the SOP's tree, its actions proposed, by trueup."""
    walked = diagnose_finding(work, finding, case.classification, sop)
    ranked = diagnosis.hypotheses(walked, sop)
    proposed = diagnosis.actions(walked, finding, sop, ranked)
    return diagnose(case, ranked, proposed, SYSTEM, case.opened_at, sop)
