"""Replenishment in SQL: suppliers, reorder policies, orders, ship notices, receipts, proposals."""
