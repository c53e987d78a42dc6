"""The SOP's versions: one row per applied version, with the file's exact bytes, who
applied it, when, why, and the difference from the version before. A version is
immutable: the database refuses to update or delete one.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

GUARDED = (("UPDATE", "update"), ("DELETE", "delete"))


def upgrade() -> None:
    op.create_table(
        "sop_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("applied_at", UtcDateTime(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_sop_version_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sop_version")),
        sa.UniqueConstraint("sop", "version", name=op.f("uq_sop_version_sop_version")),
    )
    _immutable()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS sop_version_immutable ON sop_version")
        op.execute("DROP FUNCTION IF EXISTS trueup_sop_version_immutable()")
    op.drop_table("sop_version")


def _immutable() -> None:
    """An applied version is never rewritten, by trueup or any other client."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION trueup_sop_version_immutable() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'an applied SOP version is immutable: % refused', TG_OP
                USING ERRCODE = 'restrict_violation';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER sop_version_immutable BEFORE UPDATE OR DELETE ON sop_version "
            "FOR EACH ROW EXECUTE FUNCTION trueup_sop_version_immutable()"
        )
        return
    for verb, name in GUARDED:
        op.execute(
            f"CREATE TRIGGER sop_version_no_{name} BEFORE {verb} ON sop_version BEGIN "
            f"SELECT RAISE(ABORT, 'an applied SOP version is immutable: {verb} refused'); END"
        )
