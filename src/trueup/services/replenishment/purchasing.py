"""Suppliers, purchase orders, advance ship notices and receipts against order lines.

The public face of purchasing; the work lives in private modules, one per seam:

- `rows`: reading import tables, every bad row reported (all or nothing);
- `suppliers`: suppliers, what they promise per item, delivery performance;
- `orders`: purchase orders, advance ship notices and order lines;
- `receiving`: receiving against order lines, shipping transfer order lines;
- `discrepancies`: over- and under-receipts in the discrepancy register.

Callers import from here, never from those modules.
"""

from __future__ import annotations

from trueup.services.replenishment.discrepancies import (
    MatchReport,
    match_receipts,
    receiving_discrepancies,
)
from trueup.services.replenishment.orders import (
    ASN_COLUMNS,
    ORDER_COLUMNS,
    import_asns,
    import_orders,
    order_lines,
)
from trueup.services.replenishment.receiving import Receipt, Shipment, receive, ship
from trueup.services.replenishment.rows import MAX_PROBLEMS_SHOWN, ImportReport
from trueup.services.replenishment.suppliers import (
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
