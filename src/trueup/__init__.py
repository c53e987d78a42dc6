"""trueup: an exact, append-only stock ledger and the inventory SOPs that run on it."""

__version__ = "0.1.0"
