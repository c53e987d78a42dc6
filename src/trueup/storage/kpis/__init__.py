"""The kpis wing's storage: the days computed, and the reads a day is computed from."""
