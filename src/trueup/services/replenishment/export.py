"""Reorder proposals as a CSV for an ERP (docs/formats.md, "Reorder proposals"): a row
per proposal line, with the figures that made its quantity."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from trueup.domain.replenishment.purchasing import Proposal
from trueup.domain.values import format_quantity, spreadsheet_safe

#: The columns of the proposal export for an ERP (docs/formats.md, "Reorder proposals").
EXPORT_COLUMNS = (
    "proposal",
    "status",
    "kind",
    "supplier",
    "source_location",
    "site",
    "location",
    "sku",
    "quantity",
    "pack_size",
    "moq",
    "on_hand",
    "on_order",
    "committed",
    "position",
    "reorder_point",
    "order_up_to",
    "lead_days",
    "order_number",
)


def export_rows(found: Iterable[Proposal]) -> list[dict[str, str]]:
    """Proposals as rows of EXPORT_COLUMNS, a line each (the CSV an ERP imports)."""
    rows = []
    for p in found:
        for ln in p.lines:
            rows.append(
                {
                    "proposal": str(p.id),
                    "status": p.status.value,
                    "kind": p.kind.value,
                    "supplier": p.supplier,
                    "source_location": p.source_location,
                    "site": p.location,
                    "location": ln.location,
                    "sku": ln.sku,
                    "quantity": format_quantity(ln.quantity),
                    "pack_size": format_quantity(ln.pack_size),
                    "moq": format_quantity(ln.moq),
                    "on_hand": format_quantity(ln.on_hand),
                    "on_order": format_quantity(ln.on_order),
                    "committed": format_quantity(ln.committed),
                    "position": format_quantity(ln.position),
                    "reorder_point": format_quantity(ln.reorder_point),
                    "order_up_to": format_quantity(ln.order_up_to),
                    "lead_days": str(ln.lead_days),
                    "order_number": p.order_number,
                }
            )
    return rows


def export_csv(found: Iterable[Proposal]) -> str:
    """The export as CSV text whose cells a spreadsheet will not run as formulas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in export_rows(found):
        writer.writerow([spreadsheet_safe(row[c]) for c in EXPORT_COLUMNS])
    return out.getvalue()
