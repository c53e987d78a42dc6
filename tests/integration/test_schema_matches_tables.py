"""The migrations build the schema the tables describe: after `trueup init`, Alembic's
comparison of the database with the tables' metadata finds nothing to add or drop (a
column, an index or a table declared in `storage/*/tables.py` but missing from the
revisions, or the other way round)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from trueup.bootstrap import System
from trueup.storage.metadata import metadata


def test_the_migrated_schema_is_the_one_the_tables_describe(system: System) -> None:
    with system.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "compare_server_default": False}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []
