"""`trueup demo`'s second half: the imbalance SOP's loop on the simulated world, and how
often trueup was right, since the simulated world knows the truth.

The count, the sweep and the loop over the cases (cli/demo_cases.py) run as of the end of
the simulated period; the books are read before the count, after the corrections and
after the follow-ups, and scored against the world's physical truth and its faults
(analytics/simulation/scoring.py).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rich.table import Table

from trueup.analytics.simulation import Business
from trueup.analytics.simulation.scoring import RecordAccuracy, Score, record_accuracy, score
from trueup.bootstrap import System
from trueup.cli import simulated_counts as sim
from trueup.cli.common import console
from trueup.cli.demo_cases import Loop, run_loop
from trueup.domain.access import Principal
from trueup.domain.cases.case import Case
from trueup.services.ledger.verification import verify

#: The sites whose cases the demo runs through the whole loop (empty: every site's).
LOOP_SITES: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What the loop did and how right it was."""

    count: sim.CountRun
    opened: int
    cases: list[Case]
    loop: Loop
    score: Score
    #: the record against the truth after the follow-ups (before: the count's)
    final: RecordAccuracy
    verified: bool
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def run(
    system: System,
    business: Business,
    at: datetime,
    caller: Principal,
    only: Sequence[str] = LOOP_SITES,
) -> Outcome:
    """Count, sweep, run the cases (of the sites `only` names; all when empty), follow
    up, score (see the module)."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    before = sim.on_hand(system)
    counted = sim.count_world(system, business.truth, at, caller)
    seconds["count the sites"] = time.perf_counter() - started
    started = time.perf_counter()
    sweep, _ = sim.detect_cases(system, at, caller)
    seconds["detect and diagnose"] = time.perf_counter() - started
    loop = run_loop(system, business.truth, at, caller, only)
    seconds.update(loop.seconds)
    started = time.perf_counter()
    with system.uow(readonly=True) as uow:
        cases = uow.cases.listed()
    truth = sim.true_on_hand(business.truth)
    corrected = loop.corrected
    final = sim.on_hand(system)
    site_of = {f"{dc.code}-RCV": dc.code for dc in business.world.dcs}
    scored = score(sim.scored(cases), business.log.records, truth, before, corrected, site_of)
    checked = verify(system.uow)
    seconds["score and verify"] = time.perf_counter() - started
    return Outcome(
        counted,
        len(sweep.opened),
        cases,
        loop,
        scored,
        record_accuracy(before, final, truth),
        checked.ok,
        [str(p) for p in checked.problems],
        seconds,
    )


def _ratio(value: object) -> str:
    return "n/a" if value is None else f"{value}"


def print_outcome(done: Outcome) -> None:
    """The cases by classification and root cause, the loop's counts, the scores."""
    c = done.count
    console.print(
        f"count: {c.tasks} full counts generated, {c.lines:,} lines counted by simulated "
        f"counters from the truth, {c.recounted:,} recounted, {c.corrections:,} corrections, "
        f"{c.discrepancies:,} in the discrepancy register; {done.opened:,} cases opened"
    )
    _matrix(done.cases)
    _loop(done.loop)
    _scores(done)
    verdict = (
        "[green]ok[/green]" if done.verified else f"[red]{len(done.problems)} problem(s)[/red]"
    )
    console.print(f"verify after the loop: {verdict}")
    timed = ", ".join(f"{name} {s:.1f} s" for name, s in done.seconds.items())
    console.print(f"time by phase: {timed}")


def _matrix(cases: list[Case]) -> None:
    by = Counter(
        (c.classification.value, c.hypotheses[0].cause.value if c.hypotheses else "none")
        for c in cases
    )
    classes = sorted({k for k, _ in by})
    causes = sorted({cause for _, cause in by}, key=lambda x: -sum(by[(k, x)] for k in classes))
    table = Table("root cause", *classes, "total", title="cases by classification and root cause")
    for cause in causes:
        row = [by[(k, cause)] for k in classes]
        table.add_row(cause, *(f"{n:,}" if n else "" for n in row), f"{sum(row):,}")
    totals = [sum(by[(k, x)] for x in causes) for k in classes]
    table.add_row("total", *(f"{n:,}" for n in totals), f"{sum(totals):,}")
    console.print(table)


def _loop(loop: Loop) -> None:
    table = Table("step", "cases or actions", title="the SOP's loop, by simulated people")
    executed = ", ".join(f"{k} {n}" for k, n in loop.executed.most_common()) or "none"
    at = f"the cases of {' and '.join(loop.sites)}" if loop.sites else "every case"
    rows = [
        ("cases run through the loop", f"{loop.cases:,} of {loop.diagnosed:,} ({at})"),
        ("cases whose actions were requested", f"{loop.requested:,}"),
        ("actions requested", f"{loop.actions:,}"),
        ("approvals given / actions fully approved", f"{loop.approvals:,} / {loop.approved:,}"),
        ("rejected as impossible in the world", _listed(loop.impossible)),
        ("corrections posted", f"{loop.posted:,}"),
        ("executed by their owners", executed),
        ("executions refused (see the steps refused)", _listed(loop.refused)),
        ("recounts counted", f"{loop.recounts:,}"),
        ("cases validated", f"{loop.validated:,}"),
        ("follow-up counts", f"{loop.follow_ups:,}"),
        ("follow-ups resolved / reopened", f"{loop.resolved:,} / {loop.reopened:,}"),
        ("cases closed with lessons", f"{loop.closed:,}"),
        (
            "steps refused",
            "\n".join(f"{n} x {why}" for why, n in loop.errors.most_common()) or "none",
        ),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _listed(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {n}" for k, n in counts.most_common()) or "none"


def _scores(done: Outcome) -> None:
    d = done.score.detection
    console.print(
        f"discrepancies: {d.discrepancies:,} item-locations where the record was not the "
        f"truth; {d.cases:,} cases claim one, {d.hits:,} rightly: precision "
        f"{_ratio(d.precision)}, recall {_ratio(d.recall)}"
    )
    table = Table(
        "fault kind", "places", "with a case", "precision", "recall", "top-1",
        title="root cause against the simulator's faults",
    )  # fmt: skip
    for s in done.score.causes:
        if not s.places and not s.named:
            continue
        table.add_row(
            s.kind, f"{s.places:,}", f"{s.with_case:,}", _ratio(s.precision),
            _ratio(s.recall), _ratio(s.top1),
        )  # fmt: skip
    console.print(table)
    a, f = done.score.accuracy, done.final
    console.print(
        f"record accuracy over {a.item_locations:,} item-locations: {_ratio(a.before)} before "
        f"the count, {_ratio(a.after)} after the corrections, {_ratio(f.after)} after the "
        "follow-ups"
    )
