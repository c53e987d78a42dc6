"""What every wing's fakes raise where the database would refuse a write. Apart from
store.py, which holds every wing's rows, so that a wing's module can raise it without
importing the store it is part of."""


class IntegrityViolation(Exception):
    """A write the database would refuse with a constraint error."""
