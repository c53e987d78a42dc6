"""What a SQLite connection kept open between transactions may remember of the catalog
and the stock policy, and how it knows the memory is still true."""

from __future__ import annotations

from typing import Any

from trueup.domain.ledger.model import Item, Location
from trueup.domain.ledger.policy import PolicyRule

#: more entries than this and the memory starts afresh
_LIMIT = 50_000


class Memory:
    """Items, locations and policy rules read by earlier transactions of one connection.

    Valid while no other connection has committed: SQLite's `PRAGMA data_version` changes
    exactly then, and `check` (run at the start of every transaction, after the lock is
    taken) forgets everything when it has. Changes made through this connection forget
    it too (the catalog and the policy call `forget` when they write).
    """

    def __init__(self) -> None:
        self.version: int | None = None
        self.items: dict[str, Item] = {}
        self.locations: dict[str, Location] = {}
        #: codes asked for that name no location (an empty side, a typing error)
        self.nowhere: set[str] = set()
        #: every virtual location, once read
        self.virtual: dict[str, Location] | None = None
        self.rules: list[PolicyRule] | None = None

    def check(self, driver: Any) -> None:
        version = driver.execute("PRAGMA data_version").fetchone()[0]
        if (
            version != self.version
            or len(self.items) + len(self.locations) + len(self.nowhere) > _LIMIT
        ):
            self.forget()
            self.version = version

    def forget(self) -> None:
        self.items.clear()
        self.locations.clear()
        self.nowhere.clear()
        self.virtual = None
        self.rules = None
