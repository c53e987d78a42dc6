"""The ledger wing: posting files and documents, the catalog, reading stock and
history, verification, idempotency keys."""
