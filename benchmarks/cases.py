"""Cases benchmark: detection, classification and root cause over a whole simulated world,
against just reading the same inputs, and how right it was against the world's truth.

The world (not timed; built once and cached under benchmarks/.cache/, keyed by scale,
seed and days): the simulated retailer of `trueup simulate` (large: 10 DCs with 2,000
bins, 250 stores, 20,000 SKUs, 20 % of them per store: about 1,200,000 item-locations;
`--days` shortens the simulated period, the world's size stays), imported into SQLite a
feed day at a time, then counted: a full count of every site that trueup generates,
counted by simulated counters who see only the physical truth, recounted where the first
round was off, approved (the corrections posted, the discrepancy register filled);
then its purchase orders and ship notices imported and the receipts matched to them; all
through trueup's services (cli/simulated_counts.py).

Timed, on a copy of the counted database, PAIRS times back to back:
- **read** (the baseline): every read deciding makes (each call to a repository of the
  ledger, counts, manual logs, alerts, replenishment and purchasing wings, written down
  while deciding), made again alone in the same order, nothing decided;
- **decide**: every finding that opens a case classified and diagnosed, nothing written
  (the evidence wing's share of a sweep);
- **sweep**: `trueup cases detect`'s code path on a fresh copy: every finding classified,
  a case opened per item-location and classification, each diagnosed by the SOP's tree,
  written.

`--no-sweep` leaves the sweep out and scores the diagnoses instead (what the cases would
say, nothing written). The bar: a sweep costs at most 2x reading its inputs (the median
of the pairs' ratios).
Then, against the simulator's ground truth (analytics/simulation/scoring.py): precision
and recall of the discrepancies found (aims 0.9 and 0.95) and root-cause top-1 per fault
kind (aim 0.85), record accuracy before and after the count. The last line printed is the
headline.

    python benchmarks/cases.py [--scale small|medium|large] [--seed 1] [--days N] [--pairs 3]
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import statistics
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from trueup.analytics.simulation import SCALES, WorldConfig, write_world
from trueup.analytics.simulation.books import Book
from trueup.analytics.simulation.scoring import Fault, Score, ScoredCase, score
from trueup.bootstrap import Settings, System, initialise
from trueup.cli import simulated_counts as sim
from trueup.domain.access import Principal
from trueup.domain.cases.detection import classification_of, opens_case
from trueup.domain.values import to_decimal
from trueup.services.cases.sources import findings
from trueup.services.evidence.diagnose import diagnose
from trueup.services.sop.reading import default_sop_text, read_sop
from trueup.services.sop.versions import apply

CACHE = Path(__file__).resolve().parent / ".cache"
OPERATOR = Principal.operator("bench")


def _log(text: str) -> None:
    print(text, flush=True)


def world(config: WorldConfig, seed: int, folder: Path) -> Book:
    """The simulated world's files and its physical truth, generated once."""
    done = folder / "world" / "done"
    if not done.exists():
        shutil.rmtree(folder / "world", ignore_errors=True)
        started = time.perf_counter()
        business = write_world(config, seed, folder / "world")
        with (folder / "world" / "truth.pickle").open("wb") as handle:
            pickle.dump(business.truth, handle, protocol=5)
        done.write_text("ok")
        _log(f"world generated in {time.perf_counter() - started:.0f} s")
        return business.truth
    with (folder / "world" / "truth.pickle").open("rb") as handle:
        truth: Book = pickle.load(handle)
    return truth


def counted(config: WorldConfig, seed: int, folder: Path, at: datetime) -> dict[str, Any]:
    """The database imported and counted, once; the books before and after the count."""
    books = folder / "books.pickle"
    if books.exists():
        with books.open("rb") as handle:
            kept: dict[str, Any] = pickle.load(handle)
        return kept
    truth = world(config, seed, folder)
    (folder / "counted.db").unlink(missing_ok=True)
    system = initialise(Settings(database_url=f"sqlite:///{folder}/counted.db", actor="bench"))
    try:
        started = time.perf_counter()
        report = sim.import_world(system, folder / "world", OPERATOR)
        _log(
            f"imported {report.applied:,} movements a feed day at a time in "
            f"{time.perf_counter() - started:.0f} s"
        )
        before = sim.on_hand(system)
        started = time.perf_counter()
        run = sim.count_world(system, truth, at, OPERATOR)
        _log(
            f"counted: {run.tasks} counts, {run.lines:,} lines, {run.recounted:,} recounted, "
            f"{run.corrections:,} corrections, {run.discrepancies:,} in the register, "
            f"in {time.perf_counter() - started:.0f} s"
        )
        after = sim.on_hand(system)
    finally:
        system.close()
    faults = []
    with (folder / "world" / "faults.csv").open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split(",")
        kind, sku, where, delta = (header.index(c) for c in ("kind", "sku", "location", "delta"))
        for line in handle:
            cells = line.rstrip("\n").split(",")
            faults.append(Fault(cells[kind], cells[sku], cells[where], int(cells[delta])))
    kept = {
        "faults": faults,
        "truth": sim.true_on_hand(truth),
        "before": before,
        "after": after,
        "site_of": {f"DC{n + 1}-RCV": f"DC{n + 1}" for n in range(config.dcs)},
    }
    with books.open("wb") as handle:
        pickle.dump(kept, handle, protocol=5)
    return kept


def with_orders(folder: Path) -> int:
    """The world's purchase orders and ship notices in the counted database, and the
    receipts matched to them (cached with it)."""
    system = initialise(Settings(database_url=f"sqlite:///{folder}/counted.db", actor="bench"))
    try:
        started = time.perf_counter()
        matched = sim.import_orders(system, folder / "world", OPERATOR)
        _log(f"orders and notices imported, {matched:,} receipts matched, in "
             f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    finally:
        system.close()
    return matched


def with_snapshots(folder: Path) -> int:
    """The source systems' snapshots reconciled in the counted database (cached with it):
    how many item-locations differed."""
    system = initialise(Settings(database_url=f"sqlite:///{folder}/counted.db", actor="bench"))
    try:
        started = time.perf_counter()
        report = sim.import_snapshots(system, folder / "world", OPERATOR)
        _log(f"snapshots reconciled: {report.lines:,} lines, {report.compared:,} item-locations "
             f"compared, {len(report.differences):,} differ, in "
             f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    finally:
        system.close()
    return len(report.differences)


#: the repositories a sweep's findings and evidence read (storage/uow.py)
READ_FROM = (
    "catalog", "ledger", "stock_policy", "counts", "manual_logs", "snapshots", "alerts",
    "replenishment", "purchasing",
)  # fmt: skip

Call = tuple[str, str, tuple[Any, ...], dict[str, Any]]


class _Recording:
    """A repository whose every call is written down (name, method, arguments) before
    it is made: what deciding read, to be read again alone."""

    def __init__(self, name: str, target: Any, calls: list[Call]) -> None:
        self._name, self._target, self._calls = name, target, calls

    def __getattr__(self, attribute: str) -> Any:
        found = getattr(self._target, attribute)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append((self._name, attribute, args, kwargs))
            return found(*args, **kwargs)

        return call


def read_inputs(system: System, calls: list[Call]) -> int:
    """Every read deciding made, made again in the same order, deciding nothing; how
    many."""
    with system.uow(readonly=True) as uow:
        for name, method, args, kwargs in calls:
            found = getattr(getattr(uow, name), method)(*args, **kwargs)
            if isinstance(found, Iterator):
                list(found)
    return len(calls)


def decide(system: System, at: datetime) -> tuple[list[ScoredCase], list[Call]]:
    """Every finding that opens a case classified and diagnosed, nothing written: the
    evidence wing's share of a sweep; the diagnoses as scoring reads cases, and every
    read it made."""
    sop = read_sop(default_sop_text())
    done = []
    calls: list[Call] = []
    with system.uow(readonly=True) as uow:
        for name in READ_FROM:
            setattr(uow, name, _Recording(name, getattr(uow, name), calls))
        for f in findings(uow, at):
            if opens_case(sop, f) is None:
                continue
            classification = classification_of(sop, f)
            walked = diagnose(uow, f, classification, sop)
            done.append(
                ScoredCase(
                    f.sku,
                    f.location,
                    classification.value if classification else "",
                    walked.cause.value,
                    to_decimal(f.variance),
                    f.kind.value,
                    f.site,
                )
            )
    return done, calls


def timed_pair(
    folder: Path, at: datetime, sweep: bool = True
) -> tuple[float, float, float, int, int, list[ScoredCase]]:
    """(read seconds, decide seconds, sweep seconds, findings, cases opened, the
    diagnoses written nothing) on a fresh copy; no sweep (0 s) when `sweep` is False."""
    run = folder / "run.db"
    shutil.copy(folder / "counted.db", run)
    system = initialise(Settings(database_url=f"sqlite:///{run}", actor="bench"))
    try:
        # the SOP trueup ships now, whatever the cached database was counted under
        shipped = default_sop_text().encode("utf-8")
        apply(system.uow, shipped, reason="the shipped SOP", caller=OPERATOR)
        started = time.perf_counter()
        diagnosed, calls = decide(system, at)
        decided = time.perf_counter() - started
        started = time.perf_counter()
        found = read_inputs(system, calls)
        read = time.perf_counter() - started
        swept, opened = 0.0, 0
        if sweep:
            started = time.perf_counter()
            opened = len(sim.detect_cases(system, at, OPERATOR)[0].opened)
            swept = time.perf_counter() - started
    finally:
        system.close()
    return read, decided, swept, found, opened, diagnosed


def accuracy(
    folder: Path, books: dict[str, Any], diagnosed: list[ScoredCase] | None = None
) -> Score:
    """The sweep's cases (or, without a sweep, the diagnoses) scored."""
    cases = diagnosed
    if cases is None:
        system = initialise(Settings(database_url=f"sqlite:///{folder}/run.db", actor="bench"))
        try:
            with system.uow(readonly=True) as uow:
                cases = sim.scored(uow.cases.listed())
        finally:
            system.close()
    return score(
        cases, books["faults"], books["truth"], books["before"], books["after"], books["site_of"]
    )


def _ratio(value: object) -> str:
    return "n/a" if value is None else f"{value}"


def report(found: Score) -> None:
    d = found.detection
    _log(
        f"discrepancies: {d.discrepancies:,} item-locations where the record was not the "
        f"truth; {d.cases:,} cases claim one, {d.hits:,} rightly: precision "
        f"{_ratio(d.precision)} (aim 0.9), recall {_ratio(d.recall)} (aim 0.95)"
    )
    _log(
        f"  {found.mixed:,} discrepancies touched by faults of several kinds, "
        f"{found.unexplained:,} by none"
    )
    _log("root cause by fault kind (top-1 over the places with a case; aim 0.85):")
    for c in found.causes:
        said = ", ".join(f"{cause} {n}" for cause, n in list(c.said.items())[:4])
        _log(
            f"  {c.kind:22} places {c.places:6,}  with a case {c.with_case:6,}  "
            f"top-1 {_ratio(c.top1):>6}  recall {_ratio(c.recall):>6}  "
            f"precision {_ratio(c.precision):>6}  said: {said}"
        )
    a = found.accuracy
    _log(
        f"record accuracy over {a.item_locations:,} item-locations: {_ratio(a.before)} before "
        f"the count, {_ratio(a.after)} after its corrections"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--prepare", action="store_true", help="build the cache and stop")
    parser.add_argument(
        "--no-orders", action="store_true", help="leave the purchase orders out of the world"
    )
    parser.add_argument(
        "--no-snapshots",
        action="store_true",
        help="leave the source systems' snapshots out of the world",
    )
    parser.add_argument(
        "--no-sweep", action="store_true", help="time and score the diagnoses, writing nothing"
    )
    args = parser.parse_args()
    config = SCALES[args.scale]
    if args.days:
        config = replace(config, days=args.days)
    folder = CACHE / f"cases-{args.scale}-s{args.seed}-d{config.days}"
    folder.mkdir(parents=True, exist_ok=True)
    at = sim.end_of(config.start + timedelta(days=config.days))
    books = counted(config, args.seed, folder, at)
    if "orders" not in books and not args.no_orders:
        books["orders"] = with_orders(folder)
        with (folder / "books.pickle").open("wb") as handle:
            pickle.dump(books, handle, protocol=5)
    if "snapshots" not in books and not args.no_snapshots:
        books["snapshots"] = with_snapshots(folder)
        with (folder / "books.pickle").open("wb") as handle:
            pickle.dump(books, handle, protocol=5)
    _log(
        f"{args.scale} world (seed {args.seed}, {config.days} days): "
        f"{len(books['truth']):,} item-locations on hand in truth"
    )
    if args.prepare:
        return
    pairs = []
    diagnosed: list[ScoredCase] = []
    for n in range(args.pairs):
        read, decided, swept, found, opened, diagnosed = timed_pair(folder, at, not args.no_sweep)
        pairs.append((read, decided, swept))
        _log(
            f"pair {n + 1}: made {found:,} reads of the sweep's inputs in {read:.1f} s; "
            f"classified and diagnosed {len(diagnosed):,}, writing nothing, in {decided:.1f} s "
            f"({decided / read:.2f}x)"
            + ("" if args.no_sweep else
               f"; the sweep opened {opened:,} cases in {swept:.1f} s ({swept / read:.2f}x)")
        )  # fmt: skip
    timed, what = (1, "diagnosing, writing nothing,") if args.no_sweep else (2, "the sweep")
    ratio = statistics.median(p[timed] / p[0] for p in pairs)
    scores = accuracy(folder, books, diagnosed if args.no_sweep else None)
    report(scores)
    tops = [c.top1 for c in scores.causes if c.top1 is not None and c.places]
    worst = min(tops) if tops else None
    verdict = "within" if ratio <= 2 else "NOT within"
    _log(
        f"headline: {args.scale} world, {len(books['truth']):,} item-locations: {what} "
        f"costs {ratio:.2f}x reading its inputs ({verdict} the 2x bar); discrepancies "
        f"precision {_ratio(scores.detection.precision)}, recall "
        f"{_ratio(scores.detection.recall)}; root-cause top-1 from {_ratio(worst)} to "
        f"{_ratio(max(tops) if tops else None)} by fault kind"
    )


if __name__ == "__main__":
    main()
