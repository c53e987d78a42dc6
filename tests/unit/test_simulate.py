"""The simulated world's invariants, checked on its output files (docs/simulation.md)."""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from trueup.analytics import (
    HEADERS,
    SCALES,
    Event,
    FaultRates,
    FaultRecord,
    PurchaseLine,
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


def replay(folder: Path) -> tuple[dict[tuple[str, str, str, str], int], list[str]]:
    """What the feed implies, in file order, and every request the record could not cover.

    Mirrors trueup's default policy: sale and issue are facts; any other withdrawal from a
    physical location is refused when the record holds less of that lot and serial.
    """
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
    record: defaultdict[tuple[str, str, str, str], int] = defaultdict(int)
    refused = []
    for r in rows(folder, "movements"):
        size = int(packs[r["sku"]][r["unit"]]) if r["unit"] else 1
        quantity = int(r["quantity"]) * size
        source_loc = r["from_location"] or implied[r["kind"]][0]
        target_loc = r["to_location"] or implied[r["kind"]][1]
        source_key = (r["sku"], source_loc, r["lot"], r["serial"])
        physical = source_loc not in TRACKED_OUTSIDE and source_loc != "in_transit"
        if physical and r["kind"] not in FACT_KINDS and record[source_key] < quantity:
            refused.append(r["external_id"])
        record[source_key] -= quantity
        record[(r["sku"], target_loc, r["lot"], r["serial"])] += quantity
    return dict(record), refused


def test_the_same_seed_writes_byte_identical_files(tmp_path: Path, tiny: Path) -> None:
    write_world(TINY, 7, tmp_path / "again")
    write_world(TINY, 8, tmp_path / "other")
    for name in HEADERS:
        same = (tmp_path / "again" / f"{name}.csv").read_bytes()
        assert same == (tiny / f"{name}.csv").read_bytes(), name
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
