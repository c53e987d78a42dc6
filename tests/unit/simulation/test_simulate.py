"""The simulated world's invariants, checked on its output files (docs/simulation.md)."""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from trueup.analytics.simulation import (
    HEADERS,
    SCALES,
    Event,
    FaultRates,
    FaultRecord,
    PurchaseLine,
    SnapshotLine,
    WorldConfig,
    simulate,
    write_world,
)
from trueup.domain.values import gtin_is_valid, parse_timestamp

#: Faults far more often than in the shipped scales, so a short run shows every kind.
BUSY = FaultRates(
    theft=0.01,
    damage=0.005,
    phantom_stock=0.003,
    receiving_count_error=0.1,
    receipt_not_recorded=0.05,
    mispick=0.1,
    dropped_event=0.01,
    duplicated_event=0.01,
    late_event=0.02,
    uom_mismatch=0.1,
    supplier_delay=0.2,
    forecast_bias=0.2,
)
TINY = WorldConfig(
    dcs=2, stores=4, skus=60, days=30, bins_per_dc=6, lot_share=0.2, serial_share=0.1, faults=BUSY
)
TRACKED_OUTSIDE = {"supplier", "customer", "scrap", "loss"}
FACT_KINDS = {"sale", "issue"}
#: TINY's 30 days have snapshots at the end of every 7th day and of the last one.
SNAPSHOT_DAYS = [6, 13, 20, 27, 29]
INTEGRATION = "integration failure"
Place = tuple[str, str]  # (sku, location)


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    write_world(TINY, 7, folder)
    return folder


class MemorySink:
    """Keeps the truth per day and the physical flows, which the files do not carry."""

    def __init__(self) -> None:
        self.totals: dict[date, dict[str, int]] = {}
        self.negative: list[tuple[date, str, str, int]] = []
        self.flows: Counter[tuple[int, str]] = Counter()

    def movement(self, event: Event) -> None:
        return None

    def truth(self, day: date, totals: list[tuple[tuple[str, str], int]]) -> None:
        per_sku: Counter[str] = Counter()
        for (sku, location), quantity in totals:
            per_sku[sku] += quantity
            if quantity < 0:
                self.negative.append((day, sku, location, quantity))
        self.totals[day] = dict(per_sku)

    def purchase_order(self, line: PurchaseLine) -> None:
        return None

    def flow(self, day: int, sku: str, kind: str, quantity: int) -> None:
        self.flows[(day, sku)] += quantity

    def faults(self, records: list[FaultRecord]) -> None:
        return None

    def snapshot(
        self, snapshot_id: str, taken_at: str, source: str, lines: Iterable[SnapshotLine]
    ) -> None:
        return None


def moves(folder: Path) -> Iterator[tuple[dict[str, str], int, str, str]]:
    """Each row of the feed, in file order, with its base quantity and both sides."""
    packs = {
        r["sku"]: dict(p.split("=") for p in r["pack_sizes"].split(";") if p)
        for r in rows(folder, "items")
    }
    implied = {
        "receipt": ("supplier", ""),
        "sale": ("", "customer"),
        "issue": ("", "customer"),
        "return": ("customer", ""),
        "transfer_out": ("", "in_transit"),
        "transfer_in": ("in_transit", ""),
        "scrap": ("", "scrap"),
    }
    for r in rows(folder, "movements"):
        size = int(packs[r["sku"]][r["unit"]]) if r["unit"] else 1
        source_loc = r["from_location"] or implied[r["kind"]][0]
        target_loc = r["to_location"] or implied[r["kind"]][1]
        yield r, int(r["quantity"]) * size, source_loc, target_loc


def replay(folder: Path) -> tuple[dict[tuple[str, str, str, str], int], list[str]]:
    """What the feed implies, in file order, and every request the record could not cover.

    Mirrors trueup's default policy: sale and issue are facts; any other withdrawal from a
    physical location is refused when the record holds less of that lot and serial.
    """
    record: defaultdict[tuple[str, str, str, str], int] = defaultdict(int)
    refused = []
    for r, quantity, source_loc, target_loc in moves(folder):
        source_key = (r["sku"], source_loc, r["lot"], r["serial"])
        physical = source_loc not in TRACKED_OUTSIDE and source_loc != "in_transit"
        if physical and r["kind"] not in FACT_KINDS and record[source_key] < quantity:
            refused.append(r["external_id"])
        record[source_key] -= quantity
        record[(r["sku"], target_loc, r["lot"], r["serial"])] += quantity
    return dict(record), refused


def coverage(folder: Path) -> dict[str, dict[str, str]]:
    """Per source system, where it reports each location it keeps: the WMS the docks and
    bins of the DCs, the POS the store floors, the ERP every location at its site."""
    locations = rows(folder, "locations")
    parent = {r["code"]: r["parent"] for r in locations}
    kind = {r["code"]: r["kind"] for r in locations}
    covered: dict[str, dict[str, str]] = {"erp": {"in_transit": "in_transit"}, "wms": {}, "pos": {}}
    for code in parent:
        site = code
        while parent[site]:
            site = parent[site]
        covered["erp"][code] = site
        if code != site:
            covered["wms" if kind[site] == "warehouse" else "pos"][code] = code
    return covered


def summed(quantities: dict[Place, int], where: dict[str, str]) -> Counter[Place]:
    """`quantities` as a source reports them: inside its coverage, summed per reported place."""
    reported: Counter[Place] = Counter()
    for (sku, location), quantity in quantities.items():
        if location in where:
            reported[(sku, where[location])] += quantity
    return reported


def subtract(left: Counter[Place], right: Counter[Place]) -> dict[Place, int]:
    """`left - right` where it is not zero."""
    return {k: left[k] - right[k] for k in set(left) | set(right) if left[k] != right[k]}


def nonzero(quantities: Counter[Place]) -> dict[Place, int]:
    return {k: v for k, v in quantities.items() if v}


def snapshot_days(folder: Path) -> dict[tuple[str, int], Counter[Place]]:
    """Each snapshot by (source, day), summed over lots."""
    reported: defaultdict[tuple[str, int], Counter[Place]] = defaultdict(Counter)
    for r in rows(folder, "snapshots"):
        day = (date.fromisoformat(r["taken_at"][:10]) - TINY.start).days
        reported[(r["source"], day)][(r["sku"], r["location"])] += int(r["quantity"])
    return dict(reported)


def late_events(folder: Path) -> dict[str, tuple[int, int]]:
    """The day each late event happened and the day it was sent, by external id."""
    return {
        r["external_id"]: (int(r["day"]), int(r["day"]) + int(r["detail"].split()[1]))
        for r in rows(folder, "faults")
        if r["kind"] == "late_event"
    }


def records_sent_by(folder: Path, days: list[int]) -> dict[int, Counter[tuple[str, str, str]]]:
    """trueup's record per (sku, location, lot) at the end of each of `days`: the rows of
    the file sent by then, a row being sent on the day it happened unless it was late."""
    sent_late = {external_id: sent for external_id, (_, sent) in late_events(folder).items()}
    record: Counter[tuple[str, str, str]] = Counter()
    taken: dict[int, Counter[tuple[str, str, str]]] = {}
    waiting = sorted(days)
    previous = 0
    for r, quantity, source_loc, target_loc in moves(folder):
        happened = (date.fromisoformat(r["occurred_at"][:10]) - TINY.start).days
        sent = sent_late.get(r["external_id"], happened)
        assert sent >= previous  # the file is in the order trueup receives the events
        previous = sent
        while waiting and waiting[0] < sent:
            taken[waiting.pop(0)] = record.copy()
        record[(r["sku"], source_loc, r["lot"])] -= quantity
        record[(r["sku"], target_loc, r["lot"])] += quantity
    taken.update((day, record.copy()) for day in waiting)
    return taken


def per_place(record: Counter[tuple[str, str, str]]) -> dict[Place, int]:
    places: Counter[Place] = Counter()
    for (sku, location, _lot), quantity in record.items():
        places[(sku, location)] += quantity
    return dict(places)


def test_the_same_seed_writes_byte_identical_files(tmp_path: Path, tiny: Path) -> None:
    write_world(TINY, 7, tmp_path / "again")
    write_world(TINY, 8, tmp_path / "other")
    for name in HEADERS:
        same = (tmp_path / "again" / f"{name}.csv").read_bytes()
        assert same == (tiny / f"{name}.csv").read_bytes(), name
    snapshots = (tmp_path / "again" / "snapshots.csv").read_bytes()
    assert snapshots == (tiny / "snapshots.csv").read_bytes()
    assert snapshots.count(b"\n") > 1000
    assert (tmp_path / "other" / "movements.csv").read_bytes() != same


def test_physical_truth_changes_only_by_receipts_returns_sales_issues_scrap_and_shrinkage() -> None:
    sink = MemorySink()
    simulate(TINY, 3, sink)
    days = sorted(sink.totals)
    previous: dict[str, int] = {}
    for index, day in enumerate(days):
        flows = {sku: n for (d, sku), n in sink.flows.items() if d == index}
        for sku in set(previous) | set(sink.totals[day]) | set(flows):
            change = sink.totals[day].get(sku, 0) - previous.get(sku, 0)
            assert change == flows.get(sku, 0), (day, sku)
        previous = sink.totals[day]
    assert not sink.negative


def test_truth_minus_record_is_the_sum_of_the_faults_at_every_item_location(tiny: Path) -> None:
    record, _ = replay(tiny)
    implied: Counter[tuple[str, str]] = Counter()
    for (sku, location, _lot, _serial), quantity in record.items():
        if location not in TRACKED_OUTSIDE:
            implied[(sku, location)] += quantity
    last = max(r["date"] for r in rows(tiny, "truth"))
    truth = Counter(
        {
            (r["sku"], r["location"]): int(r["quantity"])
            for r in rows(tiny, "truth")
            if r["date"] == last
        }
    )
    faults: Counter[tuple[str, str]] = Counter()
    for r in rows(tiny, "faults"):
        faults[(r["sku"], r["location"])] += int(r["delta"])
    keys = set(truth) | set(implied) | {k for k, v in faults.items() if v}
    differences = {k: truth[k] - implied[k] for k in keys if truth[k] != implied[k]}
    assert differences == {k: faults[k] for k in keys if faults[k]}
    assert differences  # the faults left something behind


def test_truth_minus_a_snapshot_is_the_sum_of_the_physical_faults_so_far(tiny: Path) -> None:
    covered = coverage(tiny)
    truth: defaultdict[int, dict[Place, int]] = defaultdict(dict)
    for r in rows(tiny, "truth"):
        day = (date.fromisoformat(r["date"]) - TINY.start).days
        truth[day][(r["sku"], r["location"])] = int(r["quantity"])
    faults = [r for r in rows(tiny, "faults") if r["cause"] != INTEGRATION and r["location"]]
    snapshots = snapshot_days(tiny)
    assert sorted(snapshots) == sorted((s, d) for s in ("erp", "pos", "wms") for d in SNAPSHOT_DAYS)
    found = 0
    for (source, day), snapshot in snapshots.items():
        physical: Counter[Place] = Counter()
        for r in faults:
            if int(r["day"]) <= day:
                physical[(r["sku"], r["location"])] += int(r["delta"])
        expected = nonzero(summed(dict(physical), covered[source]))
        assert subtract(summed(truth[day], covered[source]), snapshot) == expected
        found += len(expected)
    assert found  # the physical faults left something behind


def test_a_snapshot_minus_the_record_sent_so_far_is_the_sum_of_the_integration_faults(
    tiny: Path,
) -> None:
    covered = coverage(tiny)
    late = late_events(tiny)
    late_moves = {
        r["external_id"]: (r, q, a, b) for r, q, a, b in moves(tiny) if r["external_id"] in late
    }
    faults = [r for r in rows(tiny, "faults") if r["cause"] == INTEGRATION and r["location"]]
    records = records_sent_by(tiny, SNAPSHOT_DAYS)
    by_lot: defaultdict[tuple[str, int], Counter[tuple[str, str, str]]] = defaultdict(Counter)
    for r in rows(tiny, "snapshots"):
        if r["source"] == "wms":
            day = (date.fromisoformat(r["taken_at"][:10]) - TINY.start).days
            by_lot[("wms", day)][(r["sku"], r["location"], r["lot"])] += int(r["quantity"])
    not_arrived = 0
    for (source, day), snapshot in snapshot_days(tiny).items():
        lost: Counter[Place] = Counter()  # the source systems' records minus trueup's
        touched = set()
        for r in faults:
            if int(r["day"]) <= day:
                lost[(r["sku"], r["location"])] += int(r["delta"])
                touched.add((r["sku"], r["location"]))
        for external_id, (happened, sent) in late.items():
            if happened <= day < sent:
                r, quantity, source_loc, target_loc = late_moves[external_id]
                lost[(r["sku"], source_loc)] -= quantity
                lost[(r["sku"], target_loc)] += quantity
                not_arrived += 1
        record = summed(per_place(records[day]), covered[source])
        assert subtract(snapshot, record) == nonzero(summed(dict(lost), covered[source]))
        if source == "wms":  # per lot, where no integration fault struck
            untouched = {k: v for k, v in records[day].items() if k[:2] not in touched}
            wms = covered["wms"]
            assert {k: v for k, v in untouched.items() if v and k[1] in wms} == {
                k: v for k, v in by_lot[(source, day)].items() if k[:2] not in touched
            }
    assert not_arrived  # some snapshots were taken with late events on their way


def test_the_whole_feed_as_of_a_snapshot_differs_from_it_by_dropped_repeated_and_unit_faults(
    tiny: Path,
) -> None:
    covered = coverage(tiny)
    feed = [
        ((date.fromisoformat(r["occurred_at"][:10]) - TINY.start).days, r["sku"], a, b, q)
        for r, q, a, b in moves(tiny)
    ]
    faults = [
        r
        for r in rows(tiny, "faults")
        if r["cause"] == INTEGRATION and r["kind"] != "late_event" and r["location"]
    ]
    for (source, day), snapshot in snapshot_days(tiny).items():
        as_of: Counter[Place] = Counter()  # by occurred_at, every late event arrived
        for happened, sku, source_loc, target_loc, quantity in feed:
            if happened <= day:
                as_of[(sku, source_loc)] -= quantity
                as_of[(sku, target_loc)] += quantity
        lost: Counter[Place] = Counter()
        for r in faults:
            if int(r["day"]) <= day:
                lost[(r["sku"], r["location"])] += int(r["delta"])
        expected = nonzero(summed(dict(lost), covered[source]))
        assert subtract(snapshot, summed(dict(as_of), covered[source])) == expected


def test_each_source_system_reports_only_the_locations_it_keeps(tiny: Path) -> None:
    locations = {r["code"]: r for r in rows(tiny, "locations")}
    order = {code: i for i, code in enumerate([*locations, "in_transit"])}
    tracking = {r["sku"]: r["tracking"] for r in rows(tiny, "items")}
    snapshots: defaultdict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows(tiny, "snapshots"):
        snapshots[r["snapshot_id"]].append(r)
        source, location = r["source"], locations.get(r["location"])
        if source == "erp":
            assert r["location"] == "in_transit" or (location and not location["parent"]), r
        else:
            assert location and location["parent"], r
            site = locations[location["parent"]]
            if site["parent"]:
                site = locations[site["parent"]]
            assert site["kind"] == ("warehouse" if source == "wms" else "store"), r
        has_lot = source == "wms" and tracking[r["sku"]] == "lot"
        assert bool(r["lot"]) == has_lot, r
        assert int(r["quantity"]) != 0
    days = set()
    for snapshot_id, lines in snapshots.items():
        source, taken_at = lines[0]["source"], lines[0]["taken_at"]
        day = (date.fromisoformat(taken_at[:10]) - TINY.start).days
        days.add(day)
        assert snapshot_id == f"{source.upper()}-S{day:04d}"
        assert taken_at == f"{TINY.start + timedelta(days=day)}T23:59:59+01:00"
        assert {(r["source"], r["taken_at"]) for r in lines} == {(source, taken_at)}
        keys = [(order[r["location"]], r["sku"], r["lot"]) for r in lines]
        assert keys == sorted(set(keys))  # in the order of locations.csv, SKU and lot
    assert sorted(days) == SNAPSHOT_DAYS
    assert len(snapshots) == 3 * len(SNAPSHOT_DAYS)


def test_the_feed_never_asks_for_stock_the_record_does_not_show(tiny: Path) -> None:
    record, refused = replay(tiny)
    assert refused == []
    on_hand = Counter(
        serial
        for (_, location, _, serial), quantity in record.items()
        if serial and quantity > 0 and location not in TRACKED_OUTSIDE
        for _ in range(quantity)
    )
    assert on_hand and max(on_hand.values()) == 1


def test_each_fault_kind_appears_at_its_configured_rate() -> None:
    config = replace(TINY, days=45)
    business = simulate(config, 11, MemorySink())
    log = business.log
    for kind in FaultRates.kinds():
        n, k, p = log.opportunities[kind], log.occurrences[kind], BUSY.rate(kind)
        assert k > 0, kind
        assert abs(k - n * p) <= 4 * math.sqrt(n * p * (1 - p)) + 1, (kind, n, k)
        assert len({r.fault_id for r in log.records if r.kind == kind}) == k


def test_a_mispick_leaves_one_item_over_and_the_other_short_by_the_same_quantity(
    tiny: Path,
) -> None:
    by_fault: defaultdict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows(tiny, "faults"):
        if r["kind"] == "mispick":
            by_fault[r["fault_id"]].append(r)
    assert by_fault
    for pair in by_fault.values():
        assert len(pair) == 2 and pair[0]["sku"] != pair[1]["sku"]
        assert int(pair[0]["delta"]) == -int(pair[1]["delta"]) == int(pair[0]["quantity"]) > 0


def test_items_carry_valid_gtins_packs_and_tracked_shares(tiny: Path) -> None:
    items = rows(tiny, "items")
    codes = [r["barcode"] for r in items] + [
        r["pack_barcodes"].split("=")[1] for r in items if r["pack_barcodes"]
    ]
    assert all(gtin_is_valid(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert {r["tracking"] for r in items} == {"none", "lot", "serial"}
    assert list(items[0]) == [*HEADERS["items"]]


def test_movements_come_from_erp_wms_and_pos_with_offsets(tiny: Path) -> None:
    movements = rows(tiny, "movements")
    assert {r["source"] for r in movements} == {"erp", "wms", "pos"}
    assert all(parse_timestamp(r["occurred_at"]) for r in movements[:500])
    assert len({(r["source"], r["external_id"]) for r in movements}) == len(movements)


def test_the_large_scale_has_at_least_a_million_item_locations() -> None:
    large = SCALES["large"]
    store_shelves = large.stores * large.skus * large.assortment
    assert large.dcs * large.skus + store_shelves >= 1_000_000
