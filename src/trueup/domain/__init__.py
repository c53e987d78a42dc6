"""The domain: values, the ledger's rules, typed errors. Standard library only."""
