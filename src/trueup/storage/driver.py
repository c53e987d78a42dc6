"""Small statements on the driver's own cursor, with `?` marks on both dialects, and the
writes that wait to travel with the next statement.

The statements every single post runs (the stock policy, the batch, the outbox row) skip
SQLAlchemy's per-statement overhead; the repositories that run them share this base.

On PostgreSQL every statement is a round trip to the server, so a write whose answer
nobody reads (locking balances, closing the batch, the outbox and audit rows) is not
sent at once (`later`): it is bound on the client and sent, in order, in the same
message as the next statement that needs an answer, or as the COMMIT (`install` hooks
the engine so that a statement run through SQLAlchemy sends them first, a commit sends
them with itself, and a rollback, or one to a savepoint, forgets those not sent). A
failing write then fails that statement or the commit, inside the same transaction, as
it would have failed on its own. On SQLite, in-process, a write runs at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg import ClientCursor
from sqlalchemy import Connection, Engine, event

#: where a connection keeps its writes not sent yet (`Connection.info`)
PENDING = "trueup_pending"
#: ... those that go last, with the COMMIT, and how many of them each savepoint found
LAST = "trueup_last"
MARKS = "trueup_marks"


def canonical_time(value: datetime | str) -> str:
    """The one text form of a stored time, for comparing payloads across dialects."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def later(connection: Connection, sql: str, params: Sequence[Any] = ()) -> None:
    """Run a write whose answer nobody reads: at once on SQLite; on PostgreSQL with the
    next statement or the commit (the module docstring)."""
    driver = connection.connection.driver_connection
    if connection.dialect.name != "postgresql":
        driver.execute(sql, params)  # type: ignore[union-attr]
        return
    bound = _client_cursor(driver).mogrify(sql.replace("?", "%s"), params)
    connection.info.setdefault(PENDING, []).append(bound)


class Answer:
    """The rows of a PostgreSQL statement sent `answer_later`: read from the message it
    travels in, or, asked for before that went, by sending the writes waiting now."""

    def __init__(self, connection: Connection, sql: str) -> None:
        self.connection = connection
        self.sql = sql
        self.found: list[tuple[Any, ...]] | None = None

    def rows(self) -> list[tuple[Any, ...]]:
        if self.found is None:
            send_pending(self.connection)
        assert self.found is not None, "the statement was rolled back"
        return self.found


def answer_later(connection: Connection, sql: str, params: Sequence[Any] = ()) -> Answer:
    """A PostgreSQL statement (`%s` marks) whose answer is read later: it goes with the
    next statement, like the writes sent `later`."""
    answer = Answer(
        connection, _client_cursor(connection.connection.driver_connection).mogrify(sql, params)
    )
    connection.info.setdefault(PENDING, []).append(answer)
    return answer


def answers(
    connection: Connection, statements: Sequence[tuple[str, Sequence[Any]]]
) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement (`%s` marks), sent to PostgreSQL in one message after
    the writes waiting to be sent (whose answers, if any was asked for, are kept)."""
    with _client_cursor(connection.connection.driver_connection) as cursor:
        pending: list[str | Answer] = connection.info.pop(PENDING, None) or []
        sent = [entry if isinstance(entry, str) else entry.sql for entry in pending]
        sent += [cursor.mogrify(q, params) for q, params in statements]
        if not sent:
            return []
        cursor.execute("; ".join(sent))
        found: list[list[tuple[Any, ...]]] = []
        for index in range(len(sent)):
            rows = list(cursor.fetchall()) if cursor.description else []
            if index >= len(pending):
                found.append(rows)
            elif isinstance(entry := pending[index], Answer):
                entry.found = rows
            if index < len(sent) - 1:
                cursor.nextset()
        return found


def at_commit(connection: Connection, sql: str, params: Sequence[Any] = ()) -> None:
    """A write that goes last, with the COMMIT, on PostgreSQL (at once on SQLite): the
    outbox row, whose lock every posting takes, is then held from there to the commit
    only, after all of the transaction's other locks, whatever it posted before."""
    if connection.dialect.name != "postgresql":
        later(connection, sql, params)
        return
    bound = _client_cursor(connection.connection.driver_connection).mogrify(sql, params)
    connection.info.setdefault(LAST, []).append(bound)


def savepoint(connection: Connection, name: str) -> None:
    """`SAVEPOINT name`, sent `later`; `rollback_to(name)` undoes what came after."""
    connection.info.setdefault(MARKS, {})[name] = len(connection.info.get(LAST, ()))
    later(connection, f"SAVEPOINT {name}")


def rollback_to(connection: Connection, name: str) -> None:
    """Undo what was written since `savepoint(name)`: when it has not reached the server
    yet, it and the writes after it are forgotten and nothing is sent; else the writes
    still waiting are, and ROLLBACK TO SAVEPOINT goes at once."""
    last = connection.info.get(LAST)
    if last:
        del last[connection.info.get(MARKS, {}).get(name, 0) :]
    pending = connection.info.get(PENDING)
    mark = f"SAVEPOINT {name}"
    if pending and mark in pending:
        del pending[pending.index(mark) :]
        return
    connection.info.pop(PENDING, None)
    connection.connection.driver_connection.execute(f"ROLLBACK TO SAVEPOINT {name}")  # type: ignore[union-attr]


def send_pending(connection: Connection) -> None:
    """Send the writes waiting on this connection now, in one message."""
    if connection.info.get(PENDING):
        answers(connection, [])


def _client_cursor(driver: Any) -> ClientCursor[Any]:
    """A cursor that binds parameters on the client: several statements in one message."""
    return ClientCursor(driver)


def install(engine: Engine) -> None:
    """Hook a PostgreSQL engine so that writes sent `later` keep their order and their
    transaction (the module docstring)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(connection: Connection, *_args: Any) -> None:
        if connection.info.get(PENDING):
            send_pending(connection)

    @event.listens_for(engine, "commit")
    def _commit(connection: Connection) -> None:
        last = connection.info.pop(LAST, None)
        connection.info.pop(MARKS, None)
        if last:
            connection.info.setdefault(PENDING, []).extend(last)
        if connection.info.get(PENDING):
            # The writes and the COMMIT in one message; the driver's own commit then
            # finds no transaction open and sends nothing.
            answers(connection, [("COMMIT", ())])

    @event.listens_for(engine, "begin")
    @event.listens_for(engine, "rollback")
    def _forget(connection: Connection) -> None:
        for kept in (PENDING, LAST, MARKS):
            connection.info.pop(kept, None)


class DriverStatements:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self._raw: Any = None

    def _driver(self) -> Any:
        """The driver's connection (the same for the whole unit of work)."""
        if self._raw is None:
            self._raw = self.connection.connection.driver_connection
        return self._raw

    def _cursor(self) -> Any:
        """A driver cursor, once the writes waiting to be sent are sent."""
        if self.postgres:
            send_pending(self.connection)
        return self._driver().cursor()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """One statement on the driver's own cursor, `?` marks on both dialects; on
        PostgreSQL the writes waiting to be sent go in the same message, before it."""
        if self.postgres:
            sql = sql.replace("?", "%s")
            if self.connection.info.get(PENDING):
                return answers(self.connection, [(sql, params)])[0]
        cursor = self._driver().cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def _later(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A write whose answer nobody reads (`later`)."""
        later(self.connection, sql, params)

    def _time(self, moment: datetime) -> Any:
        return moment if self.postgres else canonical_time(moment)
