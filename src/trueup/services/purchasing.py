"""Suppliers, purchase orders, advance ship notices and receipts against order lines.

The public face of purchasing; the work lives in private modules, one per seam:

- `purchasing_rows`: reading import tables, every bad row reported (all or nothing);
- `purchasing_suppliers`: suppliers, what they promise per item, delivery performance;
- `purchasing_orders`: purchase orders, advance ship notices and order lines;
- `purchasing_receiving`: receiving against order lines, shipping transfer order lines;
- `purchasing_discrepancies`: over- and under-receipts in the discrepancy register.

Callers import from here, never from those modules.
"""

from __future__ import annotations

from trueup.services.purchasing_discrepancies import (
    MatchReport,
    match_receipts,
    receiving_discrepancies,
)
from trueup.services.purchasing_orders import (
    ASN_COLUMNS,
    ORDER_COLUMNS,
    import_asns,
    import_orders,
    order_lines,
)
from trueup.services.purchasing_receiving import Receipt, Shipment, receive, ship
from trueup.services.purchasing_rows import MAX_PROBLEMS_SHOWN, ImportReport
from trueup.services.purchasing_suppliers import (
    SUPPLIER_COLUMNS,
    import_suppliers,
    performance,
    suppliers,
)

__all__ = [
    "ASN_COLUMNS",
    "MAX_PROBLEMS_SHOWN",
    "ORDER_COLUMNS",
    "SUPPLIER_COLUMNS",
    "ImportReport",
    "MatchReport",
    "Receipt",
    "Shipment",
    "import_asns",
    "import_orders",
    "import_suppliers",
    "match_receipts",
    "order_lines",
    "performance",
    "receive",
    "receiving_discrepancies",
    "ship",
    "suppliers",
]
