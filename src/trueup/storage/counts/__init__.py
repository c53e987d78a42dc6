"""Counts in SQL: plans, tasks, lines, entries, reviews, tolerances, the discrepancy register."""
