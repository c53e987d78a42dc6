"""Reorder maths, suppliers, orders, ship notices and receipts."""
