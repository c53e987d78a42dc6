"""`trueup reorder`, `trueup suppliers`, `trueup po` and `trueup asn` end to end: the
calculator, a policy proposed and approved into an order, a receipt against it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.builders import write_csv
from tests.e2e.harness import Cli, Runner


def test_the_calculator_prints_the_reorder_point_and_safety_stock_as_json(
    cli: Cli,
) -> None:
    shown = cli.ok(
        "reorder", "calc", "--demand-mean", "100", "--demand-std", "20", "--lead-time", "4",
        "--service-level", "0.95", "--format", "json",
    )  # fmt: skip
    found = json.loads(shown.out)
    assert (found["reorder_point"], found["safety_stock"]) == (466, 66)
    assert found["demand_source"] == "fixed" and found["z"] > 1.64


def test_the_calculator_rounds_the_reorder_point_once_and_shows_the_exact_figures(
    cli: Cli,
) -> None:
    args = ("reorder", "calc", "--demand-mean", "2.5", "--demand-std", "39", "--lead-time", "5",
            "--service-level", "0.95")  # fmt: skip
    found = json.loads(cli.ok(*args, "--format", "json").out)
    assert (found["reorder_point"], found["reorder_point_exact"]) == (156, "155.942176")
    assert (found["safety_stock"], found["safety_stock_exact"]) == (144, "143.442176")
    table = cli.ok(*args).said
    assert "reorder_point 156 155.942176" in table and "safety_stock 144 143.442176" in table


def test_the_calculator_shows_its_inputs_and_refuses_a_service_level_of_one(
    cli: Cli,
) -> None:
    table = cli.ok(
        "reorder", "calc", "--demand-mean", "100", "--demand-std", "20", "--lead-time", "4",
        "--lead-time-std", "1", "--service-level", "0.95",
    ).said  # fmt: skip
    assert "reorder_point 578" in table and "safety_stock 178" in table
    assert "lead_time_std 1.0" in table
    refused = cli(
        "reorder", "calc", "--demand-mean", "1", "--demand-std", "1", "--lead-time", "1",
        "--service-level", "1",
    )  # fmt: skip
    assert refused.code == 2 and "service level strictly between 0 and 1" in refused.said


def test_a_policy_is_proposed_approved_ordered_and_received_on_the_command_line(
    stocked: Cli,
    tmp_path: Path,
) -> None:
    suppliers = write_csv(
        tmp_path / "suppliers.csv",
        [{"supplier": "SUP", "name": "Supplies", "sku": "A", "lead_days": "5", "pack_size": "12",
          "moq": "24", "unit_cost": "2.50"}],
    )  # fmt: skip
    assert "1 suppliers created" in stocked.ok("suppliers", "import", str(suppliers)).said
    stocked.ok(
        "reorder", "policy", "set", "A", "DC1", "--kind", "fixed", "--min", "20", "--max", "50"
    )
    listed = stocked.ok("reorder", "policy", "list", "--format", "csv").csv()
    assert listed[1].startswith("A,DC1,fixed,20,50,20,,50")
    made = stocked.ok("reorder", "proposals", "generate").said
    assert "proposal 1: purchase from SUP to DC1, 1 lines" in made
    exported = list(csv.DictReader(io.StringIO(stocked.ok("reorder", "proposals", "export").out)))
    # on hand 10 at DC1: 40 short of 50, in cases of 12 -> 48
    assert [(r["sku"], r["quantity"], r["position"]) for r in exported] == [("A", "48", "10")]
    approved = stocked.ok("reorder", "proposals", "approve", "1").said
    assert "order PO-TU-0000001" in approved
    assert "A,DC1,10,48,0,58" in "\n".join(
        stocked.ok("reorder", "positions", "--format", "csv").csv()
    )
    received = stocked.ok(
        "po", "receive", "PO-TU-0000001", "1", "44", "--location", "DC1-A-01", "--final"
    ).said
    assert "under-receipt of 4 registered" in received
    shown = stocked.ok("po", "discrepancies", "--format", "csv").csv()
    assert shown[1].split(",")[1:8] == ["PO-TU-0000001", "1", "A", "DC1-A-01", "48", "44", "-4"]
    [line] = stocked.ok("po", "list", "PO-TU-0000001", "--format", "csv").csv()[1:]
    assert line.split(",")[5:8] == ["A", "48", "44"] and line.endswith(",closed")
    performance = stocked.ok("suppliers", "performance", "--format", "json").out
    assert json.loads(performance)[0]["lines"] == "1"


def test_computed_policies_list_as_a_table_to_read_and_as_json_or_csv_for_machines(
    stocked: Cli, script: Runner
) -> None:
    stocked.ok("reorder", "policy", "set", "A", "DC1", "--kind", "computed", "--lead-time", "3")
    wide = Cli(script, stocked.url)  # the installed command in a console 200 wide
    table = wide.ok("reorder", "policy", "list").said
    assert "reorder point" in table and "computed from" in table
    assert "lead time 3 days (fixed)" in table and "days of history" in table
    assert "{" not in table and '"demand_mean"' not in table
    [record] = json.loads(stocked.ok("reorder", "policy", "list", "--format", "json").out)
    assert record["kind"] == "computed" and record["inputs"]["lead_time_mean"] == 3
    rows = list(csv.DictReader(io.StringIO(stocked.ok("reorder", "policy", "list",
                                                      "--format", "csv").out)))  # fmt: skip
    assert json.loads(rows[0]["inputs"])["lead_time_source"] == "fixed"
    done = json.loads(stocked.ok("reorder", "recompute", "--format", "json").out)
    assert done["computed"] == 1 and done["skipped"] == []
    assert "1 policies computed from" in stocked.ok("reorder", "recompute").said


def test_orders_and_ship_notices_import_from_the_simulator_formats(
    stocked: Cli,
    tmp_path: Path,
) -> None:
    orders = write_csv(
        tmp_path / "purchase_orders.csv",
        [{"po_number": "PO-0000001", "line": "1", "supplier": "SUP-003", "dc": "DC1",
          "sku": "B", "quantity": "144", "ordered_on": "2026-01-05", "promised_on": "2026-01-12"}],
    )  # fmt: skip
    notices = write_csv(
        tmp_path / "asns.csv",
        [{"asn_number": "ASN-0000001", "po_number": "PO-0000001", "line": "1", "sku": "B",
          "quantity": "144", "lot": "", "shipped_on": "2026-01-09", "expected_on": "2026-01-12"}],
    )  # fmt: skip
    refused = stocked("po", "import", str(orders))
    assert refused.code == 2 and "purchase_orders.csv:line 2, supplier='SUP-003'" in refused.said
    assert "1 added" in stocked.ok("po", "import", str(orders), "--create-suppliers").said
    assert "1 added" in stocked.ok("asn", "import", str(notices)).said
    assert "0 added, 1 unchanged" in stocked.ok("asn", "import", str(notices)).said
    done = stocked.ok("po", "receive", "PO-0000001", "1", "144", "--asn", "ASN-0000001").said
    assert "line closed" in done and "discrepancy" not in done
    assert "SUP-003" in stocked.ok("suppliers", "list").said


def test_a_store_is_replenished_by_a_transfer_shipped_and_received_on_the_command_line(
    stocked: Cli,
) -> None:
    stocked.ok(
        "reorder", "policy", "set", "A", "ST2", "--min", "1", "--max", "4", "--source", "DC1"
    )
    assert (
        "transfer from DC1 to ST2, 1 lines" in stocked.ok("reorder", "proposals", "generate").said
    )
    assert "order TO-TU-0000001" in stocked.ok("reorder", "proposals", "approve", "1").said
    shipped = stocked.ok("po", "ship", "TO-TU-0000001", "1", "4", "--location", "DC1-A-01").said
    assert "4 of 4 shipped" in shipped
    refused = stocked("po", "ship", "TO-TU-0000001", "1", "1", "--location", "DC1-A-01")
    assert refused.code == 2 and "still to ship" in refused.said
    stocked.ok("po", "receive", "TO-TU-0000001", "1", "4")
    rows = stocked.ok("reorder", "positions", "--sku", "A", "--format", "csv").csv()
    assert rows[1].startswith("A,ST2,4,0,0,4,1,4,no")
    assert "A,DC1-A-01,,,2" in stocked.ok("stock", "--format", "csv").csv()
