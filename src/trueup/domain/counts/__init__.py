"""Counting: plans, tasks, lines, entries, tolerances, variance; manual logs."""
