"""The replenishment wing: reorder policies and their figures, proposals, and
purchasing (suppliers, orders, receiving, discrepancies)."""
