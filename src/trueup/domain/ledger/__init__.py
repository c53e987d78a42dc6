"""The ledger's nouns and rules: items, locations, movements, postings, the stock policy."""
