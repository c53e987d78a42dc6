"""Use cases, one function each, working through the unit-of-work port; the only committers."""
