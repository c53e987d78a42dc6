"""`trueup items list` and `trueup locations list`: the catalog as a table, CSV or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import write_csv
from tests.e2e.harness import Cli

ITEMS_HEADER = (
    "sku,name,unit,barcode,tracking,unit_cost,abc_class,decimals,pack_sizes,pack_barcodes"
)


def test_items_list_as_csv_has_the_columns_of_the_items_file_in_sku_order(shop: Cli) -> None:
    assert shop.ok("items", "list", "--format", "csv").csv() == [
        ITEMS_HEADER,
        "A,Item A,each,,none,,,0,case=12,",
        "B,Item B,each,,none,,,0,,",
        "KG,Rice,kg,,none,,,3,,",
        "LOT,Milk,each,,lot,,,0,,",
        "SER,Drill,each,,serial,,,0,,",
    ]


def test_items_list_searches_sku_and_name_in_any_case(shop: Cli) -> None:
    def skus(text: str) -> list[str]:
        found = json.loads(shop.ok("items", "list", "--search", text, "--format", "json").out)
        return [row["sku"] for row in found]

    assert skus("rice") == ["KG"]
    assert skus("ITEM") == ["A", "B"]
    assert skus("se") == ["SER"]
    assert skus("nothing like it") == []


def test_an_items_listing_imports_back_unchanged_barcodes_costs_and_packs_included(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("init")
    row = {
        "sku": "COF-250",
        "name": "Coffee beans 250 g",
        "unit": "each",
        "barcode": "4006381333931",
        "tracking": "none",
        "unit_cost": "4.2",
        "abc_class": "A",
        "decimals": "0",
        "pack_sizes": "case=12",
        "pack_barcodes": "case=14006381333938",
    }
    cli.ok("import", "items", str(write_csv(tmp_path / "items.csv", [row])))
    listed = cli.ok("items", "list", "--format", "csv").csv()
    assert listed == [
        ITEMS_HEADER,
        "COF-250,Coffee beans 250 g,each,4006381333931,none,4.20,A,0,case=12,case=14006381333938",
    ]
    by_barcode = cli.ok("items", "list", "--search", "4006381333931", "--format", "csv").csv()
    assert by_barcode == listed
    again = tmp_path / "listed.csv"
    again.write_text("\n".join(listed) + "\n", encoding="utf-8")
    assert "1 unchanged" in cli.ok("import", "items", str(again)).said


def test_locations_list_by_site_gives_the_site_its_zones_and_bins(shop: Cli) -> None:
    assert shop.ok("locations", "list", "--site", "DC1", "--format", "csv").csv() == [
        "code,name,kind,parent,site",
        "DC1,Distribution centre,warehouse,,DC1",
        "DC1-A,Aisle A,zone,DC1,DC1",
        "DC1-A-01,Bin A-01,bin,DC1-A,DC1",
        "DC1-A-02,Bin A-02,bin,DC1-A,DC1",
    ]
    both = shop.ok("locations", "list", "--site", "ST1", "--site", "ST2", "--format", "csv")
    assert [line.split(",")[0] for line in both.csv()[1:]] == ["ST1", "ST2"]


def test_locations_list_shows_the_virtual_locations_only_with_all(shop: Cli) -> None:
    physical = {
        row["code"] for row in json.loads(shop.ok("locations", "list", "--format", "json").out)
    }
    every = {
        row["code"]
        for row in json.loads(shop.ok("locations", "list", "--all", "--format", "json").out)
    }
    assert physical == {"DC1", "DC1-A", "DC1-A-01", "DC1-A-02", "ST1", "ST2"}
    assert every - physical == {"supplier", "customer", "in_transit", "loss", "scrap"}


def test_locations_list_of_an_unknown_site_names_the_nearest(shop: Cli) -> None:
    result = shop("locations", "list", "--site", "st1")
    assert result.code == 3
    assert "error: no site 'st1'; did you mean 'ST1'?" in result.said


def test_the_tables_show_every_code(shop: Cli) -> None:
    items = shop.ok("items", "list").said
    assert all(sku in items.split() for sku in ("A", "B", "KG", "LOT", "SER"))
    locations = shop.ok("locations", "list").said
    assert "DC1-A-01" in locations and "ST2" in locations
