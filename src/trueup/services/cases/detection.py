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

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from trueup.domain.access import Principal
from trueup.domain.cases.case import SYSTEM, Case
from trueup.domain.cases.detection import attach
from trueup.domain.cases.findings import Finding
from trueup.domain.cases.recurrence import History, escalate_recurring
from trueup.domain.cases.transitions import diagnose
from trueup.domain.sop.model import Classification, Sop
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
    detecting = _Detecting(work, sop, done, at, work.cases.open_cases({f.key for f in fresh}))
    left = [f for f in fresh if not detecting.detected(f)]
    # a finding read before the case of its key opened joins that case now, so one pass
    # does what a second would
    opened = {key for key, _ in detecting.new}
    for finding in left:
        if finding.key in opened:
            detecting.detected(finding)
    detecting.keep()
    telling.tell(work, done.escalated, {sop_version: sop}, at)
    events.write(work, at, done.events)
    return done


_Slot = tuple[tuple[str, str, str], Classification]


class _Detecting:
    """One detection's cases: those open of its keys as read, and those it opens, kept
    in memory until `keep` writes them, the new ones all at once (escalated, when their
    cause recurs, before they are written)."""

    def __init__(
        self, work: CasesUnitOfWork, sop: Sop, done: Sweep, at: datetime, cases: list[Case]
    ) -> None:
        self.work, self.sop, self.done, self.at = work, sop, done, at
        self.by_key: defaultdict[tuple[str, str, str], list[Case]] = defaultdict(list)
        for case in cases:
            self.by_key[case.key].append(case)
        #: the kept cases as read (their events are the timeline entries after it)
        self.read = {c.id: c for c in cases}
        self.changed: dict[int, Case] = {}
        self.new: dict[_Slot, Case] = {}
        self.joined_new: list[tuple[_Slot, Finding]] = []

    def detected(self, finding: Finding) -> bool:
        """Open, attach or let be (False)."""
        here = self.by_key[finding.key]
        found = attach(here, finding, self.sop, self.done.sop_version, self.at)
        if found is None:
            return False
        case = found.case
        slot = (case.key, case.classification)
        if found.opened:
            case = diagnosed(self.work, case, finding, self.sop)
            self.new[slot] = case
            here.append(case)
            return True
        here[:] = [case if (c.classification, c.is_open) == (case.classification, True) else c
                   for c in here]  # fmt: skip
        if case.id == 0:
            self.new[slot] = case
            self.joined_new.append((slot, finding))
        else:
            self.changed[case.id] = case
            self.done.attached.append((case, finding))
        return True

    def keep(self) -> None:
        """Save the kept cases that changed; add the new ones, escalating each whose
        root cause recurs (the history read once: the SOP's window before the earliest)."""
        for case in self.changed.values():
            before = self.read[case.id]
            self.work.cases.save(case, before)
            self.done.events += events.changes(case, len(before.timeline))
        if not self.new:
            return
        window = timedelta(days=self.sop.recurrence.within_days)
        since = min(c.opened_at for c in self.new.values()) - window
        history = History(self.sop, self.work.cases.opened_since(since))

        def escalated(kept: list[Case]) -> list[Case]:
            for case in kept:
                history.add(case)
            done = []
            for case in kept:
                raised = escalate_recurring(history, case, SYSTEM, self.at, self.sop)
                if raised is not case:
                    self.done.escalated.append(raised)
                done.append(raised)
            return done

        kept = self.work.cases.add_all(list(self.new.values()), escalated)
        self.done.opened += kept
        by_slot = dict(zip(self.new, kept, strict=True))
        self.done.attached += [(by_slot[slot], f) for slot, f in self.joined_new]
        for case in kept:
            self.done.events += events.changes(case)


def diagnosed(work: CasesUnitOfWork, case: Case, finding: Finding, sop: Sop) -> Case:
    """The new case diagnosed by the SOP's tree, its actions proposed, by trueup."""
    walked = diagnose_finding(work, finding, case.classification, sop)
    ranked = diagnosis.hypotheses(walked, sop)
    proposed = diagnosis.actions(walked, finding, sop, ranked)
    return diagnose(case, ranked, proposed, SYSTEM, case.opened_at, sop)
