"""Filters by code: an unknown SKU, location or site is an error naming it and the nearest
known code, never an empty answer; `trueup ledger --site`."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.harness import Cli


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stock", "--site", "st1"], "no site 'st1'; did you mean 'ST1'?"),
        (["stock", "--sku", "NOPE"], "no SKU 'NOPE'"),
        (["stock", "--sku", "ser"], "no SKU 'ser'; did you mean 'SER'?"),
        (["stock", "--location", "DC1-A-1"], "no location 'DC1-A-1'; did you mean 'DC1-A-01'?"),
        (["stock", "--site", "DC1", "--site", "ST3"], "no site 'ST3'; did you mean"),
        (["ledger", "--sku", "lot"], "no SKU 'lot'; did you mean 'LOT'?"),
        (["ledger", "--location", "st2"], "no location 'st2'; did you mean 'ST2'?"),
        (["ledger", "--site", "dc1"], "no site 'dc1'; did you mean 'DC1'?"),
        (["alerts", "list", "--site", "dc1"], "no site 'dc1'; did you mean 'DC1'?"),
        (["alerts", "list", "--sku", "b"], "no SKU 'b'; did you mean 'B'?"),
        (["reorder", "positions", "--sku", "kg"], "no SKU 'kg'; did you mean 'KG'?"),
        (["reorder", "policy", "list", "--site", "st9"], "no site 'st9'"),
        (["reorder", "recompute", "--site", "dc1"], "no site 'dc1'; did you mean 'DC1'?"),
        (["reorder", "proposals", "generate", "--site", "x"], "no site 'x'"),
        (
            ["counts", "plan", "p", "--kind", "targeted", "--scope", "DC1", "--sku", "a"],
            "no SKU 'a'; did you mean 'A'?",
        ),
        (["counts", "tolerance", "B", "--site", "st2"], "no site 'st2'; did you mean 'ST2'?"),
    ],
)
def test_a_filter_with_an_unknown_code_is_an_error_that_suggests_the_nearest(
    shop: Cli, argv: list[str], message: str
) -> None:
    result = shop(*argv)
    assert result.code == 3, result.said
    assert f"error: {message}" in result.said
    assert result.out == ""


def _external_ids(cli: Cli, *filters: str) -> list[str]:
    out = cli.ok("ledger", *filters, "--format", "csv").out
    return [row["external_id"] for row in csv.DictReader(io.StringIO(out))]


def test_ledger_by_site_lists_the_movements_touching_any_of_its_locations(shop: Cli) -> None:
    assert _external_ids(shop, "--site", "DC1") == ["PO-1", "PA-1"]
    assert _external_ids(shop, "--site", "ST2") == ["PO-3"]
    assert _external_ids(shop, "--site", "DC1", "--site", "ST2") == ["PO-1", "PA-1", "PO-3"]
    assert _external_ids(shop, "--site", "DC1", "--sku", "B") == []
