"""SQL storage: tables, migrations, repositories and the unit of work (SQLite, PostgreSQL)."""
