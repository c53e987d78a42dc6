"""The SOP's versions in SQL: appended, read back, never changed.

Two applies racing for the next number both read the same latest version; the unique
`(sop, version)` refuses the second insert (PostgreSQL: a unique violation, which the unit
of work turns into TransientConflict, and the use case retries and numbers after the
winner). On SQLite a writer holds the database from its first read, so they queue.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from trueup.domain.sop.versions import VersionInfo
from trueup.services.sop.port import StoredVersion
from trueup.storage.sop.tables import sop_version

_INFO = (
    sop_version.c.sop,
    sop_version.c.version,
    sop_version.c.author,
    sop_version.c.applied_at,
    sop_version.c.reason,
    sop_version.c.sha256,
)


def _info(row: Any) -> VersionInfo:
    return VersionInfo(
        sop=row.sop,
        version=row.version,
        author=row.author,
        applied_at=row.applied_at,
        reason=row.reason,
        sha256=row.sha256,
    )


class SqlSop:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _one(self, sop: str, version: int | None) -> StoredVersion | None:
        query = select(*_INFO, sop_version.c.content, sop_version.c.diff).where(
            sop_version.c.sop == sop
        )
        if version is not None:
            query = query.where(sop_version.c.version == version)
        row = self.connection.execute(
            query.order_by(sop_version.c.version.desc()).limit(1)
        ).one_or_none()
        if row is None:
            return None
        return StoredVersion(_info(row), bytes(row.content), row.diff)

    def latest(self, sop: str) -> StoredVersion | None:
        return self._one(sop, None)

    def version(self, sop: str, version: int) -> StoredVersion | None:
        return self._one(sop, version)

    def history(self, sop: str, before: int | None, limit: int) -> list[VersionInfo]:
        query = select(*_INFO).where(sop_version.c.sop == sop)
        if before is not None:
            query = query.where(sop_version.c.version < before)
        rows = self.connection.execute(query.order_by(sop_version.c.version.desc()).limit(limit))
        return [_info(row) for row in rows]

    def add(self, row: StoredVersion) -> None:
        info = row.info
        self.connection.execute(
            insert(sop_version).values(
                sop=info.sop,
                version=info.version,
                content=row.content,
                sha256=info.sha256,
                author=info.author,
                reason=info.reason,
                applied_at=info.applied_at,
                diff=row.diff,
            )
        )
