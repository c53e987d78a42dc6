"""The ledger in SQL: items, locations, movements, balances, the stock policy."""
