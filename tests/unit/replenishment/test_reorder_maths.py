"""Reorder maths against textbook cases: normal demand, a cycle service level, the lead
time in the same periods as demand; rounding to packs and MOQ; receipts and OTIF."""

from __future__ import annotations

import json
import math
import random
from datetime import date
from decimal import Decimal
from fractions import Fraction

import polars as pl
import pytest

from trueup.domain.errors import InputError
from trueup.domain.replenishment.purchasing import (
    Delivery,
    OrderKind,
    OrderLine,
    OrderStatus,
    ReceivingKind,
    performance,
    receipt_outcome,
)
from trueup.domain.replenishment.reorder import (
    Inputs,
    InputSource,
    Policy,
    PolicyKind,
    Position,
    ceil_units,
    demand_stats,
    figures,
    inventory_position,
    mean_std,
    proposed_quantity,
    round_to_pack,
    z_for,
)
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.replenishment.figures import (
    InputColumns,
    figure_columns,
    figure_frame,
    json_numbers,
)
from trueup.services.replenishment.figures import ceil_units as column_ceil_units

U = QUANTITY_SCALE


def inputs(d: float, sd: float, lead: float, sl: float = 0.0, p: str = "0.95") -> Inputs:
    return Inputs(d, sd, lead, sl, Decimal(p))


@pytest.mark.parametrize(
    ("level", "z"),
    [("0.5", 0.0), ("0.841345", 1.0), ("0.90", 1.2816), ("0.95", 1.6449), ("0.99", 2.3263)],
)
def test_z_is_the_standard_normal_quantile_of_the_service_level(level: str, z: float) -> None:
    assert z_for(Decimal(level)) == pytest.approx(z, abs=1e-4)


@pytest.mark.parametrize("level", ["0", "1", "1.5", "-0.1", "NaN", "95%", ""])
def test_a_service_level_outside_zero_to_one_is_refused(level: str) -> None:
    with pytest.raises(InputError) as refused:
        z_for(level)  # type: ignore[arg-type]
    assert refused.value.field == "service_level"


def test_textbook_case_without_lead_time_variability() -> None:
    # d = 100/day, sd = 20, L = 4 days, 95 %: SS = 1.645 * 20 * sqrt(4) = 65.8 -> 66
    result = figures(inputs(100, 20, 4))
    assert result.z == pytest.approx(1.645, abs=1e-3)
    assert result.lead_time_demand == 400
    assert result.safety_stock == 66
    assert result.reorder_point == 466


def test_lead_time_variability_adds_demand_times_its_deviation() -> None:
    # SS = z * sqrt(L sd^2 + d^2 sL^2) = 1.645 * sqrt(4*400 + 10000*1) = 1.645 * 107.7
    result = figures(inputs(100, 20, 4, sl=1.0))
    assert result.safety_stock == math.ceil(1.6448536 * math.sqrt(4 * 400 + 100 * 100 * 1))
    assert result.safety_stock == 178
    assert result.reorder_point == 578


def test_at_a_fifty_percent_service_level_there_is_no_safety_stock() -> None:
    result = figures(inputs(10, 3, 5, p="0.5"))
    assert (result.safety_stock, result.reorder_point) == (0, 50)


def test_below_fifty_percent_the_safety_stock_stays_at_zero() -> None:
    assert figures(inputs(10, 3, 5, p="0.2")).safety_stock == 0


def test_the_reorder_point_is_rounded_up_once_not_its_parts_each() -> None:
    # d * L = 12.5 and SS = 1.645 * 39 * sqrt(5) = 143.44: rounding each first gives 157
    result = figures(inputs(2.5, 39, 5))
    assert (result.lead_time_demand, result.safety_stock) == (13, 144)
    assert result.reorder_point == 156
    assert result.reorder_point_exact == Decimal("155.942176")
    assert result.safety_stock_exact == Decimal("143.442176")
    assert figures(Inputs(2.5, 39, 5, 0, Decimal("0.95"), review_days=2)).order_up_to == 161


def test_the_calculator_shows_the_exact_figures_beside_the_rounded_ones() -> None:
    shown = figures(inputs(100, 20, 4)).calculator_dict()
    assert list(shown)[:4] == [
        "reorder_point",
        "reorder_point_exact",
        "safety_stock",
        "safety_stock_exact",
    ]
    assert (shown["reorder_point"], shown["reorder_point_exact"]) == (466, Decimal("465.794145"))
    assert shown["safety_stock_exact"] == Decimal("65.794145")
    assert "reorder_point_exact" not in figures(inputs(100, 20, 4)).as_dict()


def test_figures_are_rounded_up_to_whole_units_without_float_noise() -> None:
    # 0.7 * 10 is 7.000000000000001 in floats: 7 units, not 8
    result = figures(inputs(0.7, 0, 10))
    assert (result.lead_time_demand, result.safety_stock, result.reorder_point) == (7, 0, 7)
    assert figures(inputs(0.71, 0, 10)).reorder_point == 8


def test_the_order_up_to_level_adds_the_review_periods_demand() -> None:
    result = figures(Inputs(100, 20, 4, 0, Decimal("0.95"), review_days=7))
    assert result.order_up_to == 466 + 700


def test_every_figure_carries_its_inputs_and_their_sources() -> None:
    shown = figures(
        Inputs(
            5,
            2,
            3,
            0.5,
            Decimal("0.9"),
            demand_source=InputSource.HISTORY,
            lead_time_source=InputSource.SUPPLIER_PROMISED,
            history_days=28,
        )
    ).as_dict()
    assert shown["demand_source"] == "history"
    assert shown["lead_time_source"] == "supplier promised"
    assert shown["history_days"] == 28
    assert {"reorder_point", "safety_stock", "z", "demand_mean", "lead_time_std"} <= set(shown)


def test_negative_inputs_are_refused_with_the_field_named() -> None:
    with pytest.raises(InputError) as refused:
        inputs(-1, 0, 3)
    assert refused.value.field == "demand_mean"


def test_daily_demand_counts_the_days_without_demand_as_zero() -> None:
    mean, std = demand_stats([10 * U, 10 * U], days=4)
    assert mean == 5
    assert std == pytest.approx(math.sqrt((2 * 25 + 2 * 25) / 3))


@pytest.mark.parametrize(
    ("need", "pack", "moq", "order"),
    [
        (1, 12, 0, 12),  # one unit short: a whole case
        (12, 12, 0, 12),
        (13, 12, 0, 24),
        (5, 12, 48, 48),  # the MOQ rules
        (5, 12, 50, 60),  # an MOQ that is not whole cases: rounded up to cases
        (0, 12, 48, 0),  # nothing needed: nothing ordered, whatever the MOQ
        (-3, 1, 0, 0),
    ],
)
def test_orders_are_whole_packs_and_at_least_the_moq(
    need: int, pack: int, moq: int, order: int
) -> None:
    assert round_to_pack(need * U, pack * U, moq * U) == order * U


def test_a_pack_of_zero_is_refused() -> None:
    with pytest.raises(InputError):
        round_to_pack(5, 0, 0)


def test_position_is_on_hand_plus_on_order_less_committed() -> None:
    assert inventory_position(40, 100, 15) == 125
    assert Position(40, 100, 15).position == 125


def _policy(reorder: int, up_to: int) -> Policy:
    return Policy("A", "DC1", PolicyKind.FIXED, reorder * U, up_to * U)


def test_a_proposal_reaches_the_order_up_to_level_only_at_or_below_the_reorder_point() -> None:
    policy = _policy(20, 100)
    assert proposed_quantity(policy, Position(21 * U, 0, 0), 12 * U, 0) == 0
    assert proposed_quantity(policy, Position(20 * U, 0, 0), 12 * U, 0) == 84 * U
    assert proposed_quantity(policy, Position(5 * U, 10 * U, 3 * U), 12 * U, 96 * U) == 96 * U


def _line(quantity: int, received: int = 0) -> OrderLine:
    return OrderLine(
        1,
        1,
        "PO-1",
        1,
        OrderKind.PURCHASE,
        "SUP",
        "",
        "DC1",
        "A",
        quantity * U,
        received * U,
        date(2026, 1, 5),
        date(2026, 1, 12),
        OrderStatus.OPEN,
    )


def test_more_than_ordered_is_an_over_receipt_at_once() -> None:
    outcome = receipt_outcome(_line(100), 110 * U, asn_quantity=None, final=None)
    assert outcome.discrepancy is ReceivingKind.OVER
    assert (outcome.expected, outcome.variance, outcome.closes_line) == (100 * U, 10 * U, True)


def test_a_partial_receipt_without_a_notice_leaves_the_line_open() -> None:
    outcome = receipt_outcome(_line(100), 60 * U, asn_quantity=None, final=None)
    assert outcome.discrepancy is None and not outcome.closes_line


def test_less_than_the_ship_notice_said_is_an_under_receipt() -> None:
    outcome = receipt_outcome(_line(100), 90 * U, asn_quantity=100 * U, final=None)
    assert outcome.discrepancy is ReceivingKind.UNDER
    assert outcome.variance == -10 * U and outcome.closes_line


def test_a_final_short_receipt_is_an_under_receipt_against_what_is_open() -> None:
    outcome = receipt_outcome(_line(100, received=60), 30 * U, asn_quantity=None, final=True)
    assert (outcome.expected, outcome.variance) == (40 * U, -10 * U)
    assert outcome.discrepancy is ReceivingKind.UNDER


def test_on_time_in_full_and_actual_lead_times() -> None:
    ordered, promised = date(2026, 1, 1), date(2026, 1, 8)
    found = performance(
        "SUP",
        [
            Delivery(ordered, promised, 10, 10, date(2026, 1, 8), True),  # on time, in full
            Delivery(ordered, promised, 10, 10, date(2026, 1, 11), True),  # late
            Delivery(ordered, promised, 10, 8, date(2026, 1, 7), True),  # short
            Delivery(ordered, promised, 10, 0, None, False),  # still open: not counted
        ],
    )
    assert (found.lines, found.on_time, found.in_full, found.on_time_in_full) == (3, 2, 2, 1)
    assert found.otif_rate == Decimal("0.3333")
    assert found.lead_times == (7, 10, 6)
    assert found.lead_time_mean == pytest.approx(23 / 3)


# -- the column-wise figures a recompute uses equal the domain's, row for row --------------
def _reference(
    total: float,
    squares: float,
    days: int,
    lead: tuple[float, float, InputSource, int],
    level: Decimal,
    review: float,
) -> tuple[int, int, int, str]:
    """What a recompute computed one policy at a time: mean_std, Inputs, figures, JSON."""
    mean, std = mean_std(total, squares, days)
    result = figures(
        Inputs(
            demand_mean=max(0.0, mean),
            demand_std=std,
            lead_time_mean=lead[0],
            lead_time_std=lead[1],
            service_level=level,
            review_days=review,
            demand_source=InputSource.HISTORY,
            lead_time_source=lead[2],
            history_days=days,
            lead_time_samples=lead[3],
        )
    )
    return (
        result.safety_stock * U,
        result.reorder_point * U,
        result.order_up_to * U,
        json.dumps(result.as_dict()),
    )


Row = tuple[float, float, tuple[float, float, InputSource, int], Decimal, float]


def _edge_and_random_rows(days: int, count: int, seed: int) -> list[Row]:
    rng = random.Random(seed)
    levels = [Decimal(p) for p in ("0.5", "0.9", "0.95", "0.99", "0.2", "0.999")]
    leads = [
        (4.0, 0.0, InputSource.SUPPLIER_PROMISED, 0),
        (10.0, 0.0, InputSource.FIXED, 0),
        (2.5, 0.75, InputSource.FIXED, 0),
        (23 / 3, 1.699673171197595, InputSource.HISTORY, 3),
        (0.0, 0.0, InputSource.FIXED, 0),
        (rng.uniform(0, 60), rng.uniform(0, 9), InputSource.HISTORY, 12),
    ]
    rows = []
    for n in range(count):
        kind = n % 6
        if kind == 0:  # no demand at all
            daily = [0.0] * days
        elif kind == 1:  # the same demand every day: no deviation
            daily = [rng.choice([0.7, 0.1, 3.0, 0.3]) * rng.randint(1, 9)] * days
        elif kind == 2:  # fractional units (an item with decimals), sparse
            daily = [
                round(rng.uniform(0, 5), 3) if rng.random() < 0.3 else 0.0 for _ in range(days)
            ]
        elif kind == 3:  # whole units, busy
            daily = [float(rng.randint(0, 40)) for _ in range(days)]
        elif kind == 4:  # a negative total: reversals exceed sales
            daily = [-float(rng.randint(0, 3)) for _ in range(days)]
        else:  # any amount every day
            daily = [rng.uniform(0, 200) for _ in range(days)]
        total = sum(daily)
        squares = sum(q * q for q in daily)
        rows.append(
            (
                total,
                squares,
                rng.choice(leads),
                rng.choice(levels),
                float(rng.choice([0, 1, 7, 14])),
            )
        )
    return rows


def _columns(rows: list[Row], days: int) -> InputColumns:
    leads = list(dict.fromkeys(r[2] for r in rows))
    settings = list(dict.fromkeys((r[3], r[4]) for r in rows))
    return InputColumns(
        demand_total=[r[0] for r in rows],
        demand_squares=[r[1] for r in rows],
        history_days=days,
        lead_times=leads,
        lead_time=[leads.index(r[2]) for r in rows],
        settings=settings,
        setting=[settings.index((r[3], r[4])) for r in rows],
    )


@pytest.mark.parametrize(("days", "seed"), [(91, 1), (28, 2), (7, 3), (1, 4), (10, 5), (365, 6)])
def test_column_wise_figures_equal_the_domains_on_every_row(days: int, seed: int) -> None:
    rows = _edge_and_random_rows(days, 400, seed)
    found = figure_columns(_columns(rows, days))
    expected = [_reference(r[0], r[1], days, r[2], r[3], r[4]) for r in rows]
    got = zip(found.safety_stock, found.reorder_point, found.order_up_to, found.inputs, strict=True)
    assert list(got) == expected


@pytest.mark.parametrize("days", [1, 2, 7, 28, 91, 365])
def test_column_wise_demand_mean_and_deviation_are_the_domains_to_the_last_bit(days: int) -> None:
    # polars divides a column by a scalar through its reciprocal, which differs in the
    # last bit about a third of the time: the exact path must not
    rng = random.Random(days)
    rows: list[Row] = []
    for _ in range(2000):
        daily = [rng.uniform(0, 50) for _ in range(days)]
        lead = (1.0, 0.0, InputSource.FIXED, 0)
        rows.append((sum(daily), sum(q * q for q in daily), lead, Decimal("0.95"), 7.0))
    frame = figure_frame(_columns(rows, days))
    expected = [mean_std(r[0], r[1], days) for r in rows]
    found = zip(frame["demand_mean"].to_list(), frame["demand_std"].to_list(), strict=True)
    assert list(found) == expected


def test_inputs_are_written_as_json_writes_them_rounded_to_six_decimals() -> None:
    rng = random.Random(7)
    values = [0.0, 1e-7, 4.9e-7, 5e-7, 5.1e-7, 1e-5, 2.5e-5, 9.99995e-5, 1e-4, 0.0001005,
              0.1234565, 0.1234575, 2.0000005, 1.0000015, 1e9, 123456789.1234565, 1e15, 1e16,
              1e18, 7.000000000000001]  # fmt: skip
    values += [rng.uniform(0, 10) for _ in range(3000)]
    values += [rng.randint(0, 10**7) / 10**7 for _ in range(3000)]
    values += [rng.randint(0, 10**9) / 2 ** rng.randint(0, 30) for _ in range(3000)]
    values += [(k + 0.5) / 1e6 for k in range(0, 3000)]  # halfway cases
    found = json_numbers(pl.Series(values, dtype=pl.Float64)).to_list()
    assert found == [repr(round(v, 6)) for v in values]


def _near_whole_numbers() -> list[float]:
    """Values on both sides of the domain's float-noise cut (half a billionth above a whole
    number), a few float steps at a time, small and large."""
    values = [0.0, -0.0, -0.3, -1e-12, 0.7 * 10, 1e-10, 4e-10, 6e-10, 0.9999999996, 1e18]
    for whole in (0.0, 1.0, 7.0, 466.0, 65535.0, 1e6, 8388608.0, 1e9, 2.0**52):
        for offset in (0.0, 5e-10, 1e-9, 2.5e-10):
            for steps in range(-3, 4):
                value = whole + offset
                for _ in range(abs(steps)):
                    value = math.nextafter(value, math.inf if steps > 0 else -math.inf)
                values.append(value)
    return values


def test_column_wise_rounding_up_keeps_the_domains_cut_for_float_noise() -> None:
    # round(v, 9) drops fractions below 0.5e-9; 5e-10 as a float lies just above that
    assert Fraction(5e-10) > Fraction(1, 2 * 10**9)
    values = _near_whole_numbers()
    found = pl.select(column_ceil_units(pl.lit(pl.Series(values, dtype=pl.Float64))))
    assert found.to_series().to_list() == [ceil_units(v) for v in values]


def test_column_wise_figures_refuse_what_the_domain_refuses() -> None:
    lead = (4.0, 0.0, InputSource.FIXED, 0)
    with pytest.raises(InputError) as refused:
        figure_columns(_columns([(1e12, 0.0, lead, Decimal("0.95"), 7.0)], 1))
    assert refused.value.field == "demand_mean"
