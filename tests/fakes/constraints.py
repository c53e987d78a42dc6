"""What every wing's fakes raise where the database would refuse a write.

A module of its own, below store.py and the wing modules, so that store.py can hold each
wing's state and the wing modules can raise this without importing one another in a
circle."""


class IntegrityViolation(Exception):
    """A write the database would refuse with a constraint error."""
