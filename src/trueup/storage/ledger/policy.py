"""The stock policy in SQL: which sources' events are facts and which are requests.

Every post reads the rules; a connection the server keeps open between posts remembers
them (memory.py) until a write through any connection could have changed them.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trueup.domain.ledger.policy import OnShort, PolicyRule
from trueup.storage.driver import Answer, DriverStatements, answer_later
from trueup.storage.ledger.memory import Memory
from trueup.storage.ledger.tables import stock_policy

_RULES = "SELECT source, kind, on_short FROM stock_policy ORDER BY source, kind"


class SqlStockPolicy(DriverStatements):
    def __init__(self, connection: Connection, memory: Memory | None = None) -> None:
        super().__init__(connection)
        #: what earlier transactions of this connection read, when it is kept open
        self.memory = memory
        #: the rules read along with another statement (`read_ahead`)
        self._ahead: Answer | None = None

    def read_ahead(self) -> None:
        if self.postgres and self.memory is None:
            self._ahead = answer_later(self.connection, _RULES)

    def rules(self) -> list[PolicyRule]:
        known = self.memory
        if known is not None and known.rules is not None:
            return list(known.rules)
        ahead, self._ahead = self._ahead, None
        rows = ahead.rows() if ahead is not None else self._run(_RULES)
        rules = [PolicyRule(source, kind, OnShort(on_short)) for source, kind, on_short in rows]
        if known is not None:
            known.rules = list(rules)
        return rules

    def set_rule(self, rule: PolicyRule) -> None:
        if self.memory is not None:
            self.memory.forget()
        upsert = (pg_insert if self.postgres else sqlite_insert)(stock_policy).values(
            source=rule.source, kind=rule.kind, on_short=rule.on_short.value
        )
        self.connection.execute(
            upsert.on_conflict_do_update(
                index_elements=["source", "kind"], set_={"on_short": rule.on_short.value}
            )
        )

    def delete_rule(self, source: str, kind: str) -> bool:
        if self.memory is not None:
            self.memory.forget()
        result = self.connection.execute(
            delete(stock_policy).where(stock_policy.c.source == source, stock_policy.c.kind == kind)
        )
        return bool(result.rowcount)
