"""Reorder figures for many computed policies at once, column by column.

The scalar `domain.replenishment.figures` stays the definition; this module computes
exactly its figures for a million policies in well under a second, and the inputs JSON
each policy keeps, byte for byte what `json.dumps(figures(...).as_dict())` writes.

Exact because every step is the same IEEE 754 operation in the same order: +, *, / and
sqrt are correctly rounded in polars as in Python, and polars does not reassociate. One
trap: polars divides a column by a *scalar* as a multiplication by its reciprocal, which
is not the same float; every division here is column by column. The rounding up is the
domain's `ceil_units` (`ceil(round(v, 9))`, at least 0) restated on a column, applied
once to each figure as the domain does, and the
inputs are rounded to 6 decimals and written as `round` and `repr` do (`json_numbers`).
tests/unit/replenishment/test_reorder_maths.py holds both paths equal on edge and random inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from trueup.domain.errors import InputError
from trueup.domain.replenishment.reorder import (
    DEMAND_FROM_HISTORY,
    MAX_INPUT,
    Inputs,
    InputSource,
    z_for,
)
from trueup.domain.values import QUANTITY_SCALE

#: A lead time in days: (mean, standard deviation, source, receipts it covers).
LeadTime = tuple[float, float, InputSource, int]
#: A policy's own settings: (target cycle service level, review period in days).
Settings = tuple[Decimal, float]
#: The nearest float to 5e-10 lies just above 0.5 * 10**-9: a fraction of a unit from it
#: upwards makes round(v, 9) leave the whole number below (so ceil goes up one); a smaller
#: fraction rounds away (so 0.7 * 10 = 7.000000000000001 stays 7, as in the domain).
_UP_FROM = 5e-10
#: The largest figure, in base units, whose scaled quantity fits a BIGINT.
MAX_UNITS = (2**63 - 1) // QUANTITY_SCALE
_INPUT_NAMES = ("demand_mean", "demand_std", "lead_time_mean", "lead_time_std", "review_days")


def ceil_units(value: pl.Expr) -> pl.Expr:
    """A column's `domain.replenishment.ceil_units`: rounded up to whole units after
    dropping float noise below 10**-9, never below 0. Whole numbers as floats.

    round(v, 9) rounds the exact value of v to 9 decimals; its ceiling is floor(v) when
    v's fraction (v - floor(v), exact in floats) is under half a billionth, else
    floor(v) + 1 (an exact tie cannot happen: 5e-10 is not a binary fraction)."""
    whole = value.floor()
    part = value - whole
    rounded = whole + pl.when(part >= _UP_FROM).then(1.0).otherwise(0.0)
    return pl.when(rounded > 0).then(rounded).otherwise(0.0)


def _at_least_zero(value: pl.Expr) -> pl.Expr:
    """max(0.0, value) as Python computes it: -0.0 and negatives become 0.0."""
    return pl.when(value > 0).then(value).otherwise(0.0)


def json_numbers(values: pl.Series) -> pl.Series:
    """repr(round(v, 6)) of every value, as `Inputs.as_dict` rounds an input and
    `json.dumps` writes it. Rounding is k / 10**6 for the nearest integer k to v * 10**6
    (both exact: the division is correctly rounded, so k / 10**6 is the float nearest the
    rounded decimal, which is what `round` returns); polars writes a float as its shortest
    round-trip digits, as `repr` does. Python does the rows where that could differ:
    v * 10**6 within float error of half an integer, and results that `repr` writes with
    an exponent (below 10**-4 or from 10**16)."""
    million = pl.repeat(1e6, values.len(), eager=True, dtype=pl.Float64)
    frame = pl.DataFrame({"v": values, "m": million}).with_columns(
        (pl.col("v") * pl.col("m")).alias("scaled")
    )
    frame = frame.with_columns((pl.col("scaled").round() / pl.col("m")).alias("rounded"))
    scaled, rounded = pl.col("scaled"), pl.col("rounded")
    tie = ((scaled - scaled.floor()) - 0.5).abs() <= scaled.abs() * 1e-15 + 1e-9
    odd = ((rounded != 0) & (rounded.abs() < 1e-4)) | (rounded.abs() >= 1e16) | ~rounded.is_finite()
    frame = frame.with_columns(
        rounded.cast(pl.String).alias("text"), (tie | odd).alias("by_python")
    )
    texts = frame["text"]
    redo = frame.select(pl.col("by_python").arg_true()).to_series()
    if redo.len():
        exact = [repr(round(float(values[i]), 6)) for i in redo.to_list()]
        texts = texts.scatter(redo, exact)
    return texts


@dataclass(frozen=True, slots=True)
class InputColumns:
    """The inputs of many computed policies, row for row. Demand is its sum and sum of
    squares in base units over `history_days` days (`mean_std`); what many policies
    share is given once and indexed: the distinct lead times and each row's index into
    them, the distinct settings and each row's index into them."""

    demand_total: Sequence[float]
    demand_squares: Sequence[float]
    history_days: int
    lead_times: Sequence[LeadTime]
    lead_time: Sequence[int]
    settings: Sequence[Settings]
    setting: Sequence[int]


@dataclass(frozen=True, slots=True)
class FigureColumns:
    """The figures of many policies, row for row: scaled quantities (whole base units
    times QUANTITY_SCALE) and the inputs JSON of each."""

    safety_stock: list[int]
    reorder_point: list[int]
    order_up_to: list[int]
    inputs: list[str]


def figure_frame(columns: InputColumns) -> pl.DataFrame:
    """The demand mean and deviation (`domain.replenishment.mean_std`), z and the
    figures in whole base units (`domain.replenishment.figures`), one row per policy."""
    days = columns.history_days
    if days <= 0:
        raise InputError("at least 1 day of history", field="days", value=str(days))
    lead = pl.Series(columns.lead_time, dtype=pl.UInt32)
    setting = pl.Series(columns.setting, dtype=pl.UInt32)
    n = lead.len()
    frame = pl.DataFrame(
        {
            "total": pl.Series(columns.demand_total, dtype=pl.Float64),
            "squares": pl.Series(columns.demand_squares, dtype=pl.Float64),
            "n": pl.repeat(float(days), n, eager=True, dtype=pl.Float64),
            "n_1": pl.repeat(float(days - 1), n, eager=True, dtype=pl.Float64),
            "lead_time": lead,
            "setting": setting,
            "lead_time_mean": _gather([t[0] for t in columns.lead_times], lead),
            "lead_time_std": _gather([t[1] for t in columns.lead_times], lead),
            "z": _gather([z_for(s[0]) for s in columns.settings], setting),
            "review_days": _gather([s[1] for s in columns.settings], setting),
        }
    )
    total, squares = pl.col("total"), pl.col("squares")
    # mean_std: the mean is total / n; the sample variance (squares - total * total / n)
    # / (n - 1) kept at 0 or more; one day has no deviation. Demand is kept at 0 or more.
    spread = (
        pl.lit(0.0)
        if days == 1
        else _at_least_zero((squares - total * total / pl.col("n")) / pl.col("n_1")).sqrt()
    )
    frame = frame.with_columns(
        _at_least_zero(total / pl.col("n")).alias("demand_mean"), spread.alias("demand_std")
    )
    _check(frame, columns)
    d, s_d = pl.col("demand_mean"), pl.col("demand_std")
    lead_mean, s_lead = pl.col("lead_time_mean"), pl.col("lead_time_std")
    # The domain's order of operations: the safety stock at 0 or more, then the sums, each
    # rounded up once at the end (never ceil(d * L) + ceil(SS)).
    frame = frame.with_columns(
        (d * lead_mean).alias("raw_lead"),
        _at_least_zero(
            pl.col("z") * (lead_mean * s_d * s_d + d * d * s_lead * s_lead).sqrt()
        ).alias("raw_safety"),
        (d * pl.col("review_days")).alias("raw_review"),
    ).with_columns((pl.col("raw_lead") + pl.col("raw_safety")).alias("raw_reorder"))
    frame = frame.with_columns((pl.col("raw_reorder") + pl.col("raw_review")).alias("raw_up_to"))
    whole = ("lead_time_demand", "safety_stock", "reorder_point", "order_up_to")
    frame = frame.with_columns(
        ceil_units(pl.col("raw_lead")).alias(whole[0]),
        ceil_units(pl.col("raw_safety")).alias(whole[1]),
        ceil_units(pl.col("raw_reorder")).alias(whole[2]),
        ceil_units(pl.col("raw_up_to")).alias(whole[3]),
    )
    # The largest is the order-up-to level; within MAX_UNITS its scaled quantity fits.
    highest = frame.select(pl.max_horizontal(*whole).max()).item()
    if highest is not None and highest > MAX_UNITS // 3:
        raise InputError(
            f"figures up to {MAX_UNITS // 3} base units", field="order_up_to", value=str(highest)
        )
    return frame.with_columns(pl.col(*whole).cast(pl.Int64))


def _gather(values: list[float], index: pl.Series) -> pl.Series:
    return pl.Series(values, dtype=pl.Float64).gather(index)


def _check(frame: pl.DataFrame, columns: InputColumns) -> None:
    """Refuse what `domain.replenishment.Inputs` refuses, with its error: the first row
    with an input below 0, above MAX_INPUT or not finite."""
    wrong = frame.select(
        pl.any_horizontal(
            *[
                ~pl.col(n).is_finite() | (pl.col(n) < 0) | (pl.col(n) > MAX_INPUT)
                for n in _INPUT_NAMES
            ]
        ).arg_true()
    ).to_series()
    if wrong.len():
        row = frame.row(int(wrong[0]), named=True)
        Inputs(
            demand_mean=row["demand_mean"],
            demand_std=row["demand_std"],
            lead_time_mean=row["lead_time_mean"],
            lead_time_std=row["lead_time_std"],
            service_level=columns.settings[row["setting"]][0],
            review_days=row["review_days"],
        )


def figure_columns(columns: InputColumns) -> FigureColumns:
    """The figures and inputs JSON of every row of `columns`, equal to the domain's."""
    frame = figure_frame(columns)
    # The JSON from a template, its parts in `Figures.as_dict`'s order; what rows share
    # (z, lead time, service level, review period) is written once per distinct value.
    z_texts = [f'"z": {round(z_for(s[0]), 6)!r}, "demand_mean": ' for s in columns.settings]
    lead_texts = [
        f'"lead_time_mean": {round(t[0], 6)!r}, "lead_time_std": {round(t[1], 6)!r}, '
        f'"lead_time_source": "{t[2].value}", "lead_time_samples": {t[3]}, '
        for t in columns.lead_times
    ]
    tail_texts = [
        f'"service_level": "{s[0]!s}", "review_days": {s[1]!r}}}' for s in columns.settings
    ]
    frame = frame.with_columns(
        pl.Series(z_texts, dtype=pl.String).gather(frame["setting"]).alias("z_text"),
        pl.Series(lead_texts, dtype=pl.String).gather(frame["lead_time"]).alias("lead_text"),
        pl.Series(tail_texts, dtype=pl.String).gather(frame["setting"]).alias("tail_text"),
        json_numbers(frame["demand_mean"]).alias("mean_text"),
        json_numbers(frame["demand_std"]).alias("std_text"),
    )
    texts = frame.select(
        pl.concat_str(
            pl.lit('{"reorder_point": '),
            pl.col("reorder_point").cast(pl.String),
            pl.lit(', "safety_stock": '),
            pl.col("safety_stock").cast(pl.String),
            pl.lit(', "order_up_to": '),
            pl.col("order_up_to").cast(pl.String),
            pl.lit(', "lead_time_demand": '),
            pl.col("lead_time_demand").cast(pl.String),
            pl.lit(", "),
            pl.col("z_text"),
            pl.col("mean_text"),
            pl.lit(', "demand_std": '),
            pl.col("std_text"),
            pl.lit(
                f', "demand_source": "history", "demand_from": "{DEMAND_FROM_HISTORY}", '
                f'"history_days": {columns.history_days}, '
            ),
            pl.col("lead_text"),
            pl.col("tail_text"),
        )
    ).to_series()
    scaled = frame.select(pl.col("safety_stock", "reorder_point", "order_up_to") * QUANTITY_SCALE)
    return FigureColumns(
        scaled["safety_stock"].to_list(),
        scaled["reorder_point"].to_list(),
        scaled["order_up_to"].to_list(),
        texts.to_list(),
    )
