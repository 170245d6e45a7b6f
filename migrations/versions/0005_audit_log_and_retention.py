"""audit log (append-only) and the purge of personal data

`audit_log`: who did what, on what, when, from where, and how it ended. The database
refuses to change or delete its rows: triggers on SQLite and PostgreSQL.
`notifications.purged_at` and `purge_days`: when the purge removed a row's personal data,
and the retention (days) it applied; a partial index finds the rows still to purge.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import appio_core.storage.models

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = appio_core.storage.models.UTCDateTime(timezone=True)
REFUSAL = "audit_log is append-only: its rows cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_operator", "audit_log", ["operator", "id"])
    op.create_index("ix_audit_log_action", "audit_log", ["action", "id"])
    _append_only()

    op.add_column("notifications", sa.Column("purged_at", UTC_DATETIME, nullable=True))
    op.add_column("notifications", sa.Column("purge_days", sa.Integer(), nullable=True))
    op.create_index(
        "ix_notifications_unpurged",
        "notifications",
        ["created_at"],
        sqlite_where=sa.text("purged_at IS NULL"),
        postgresql_where=sa.text("purged_at IS NULL"),
    )


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
            " FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log"
            f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )


def downgrade() -> None:
    op.drop_index("ix_notifications_unpurged", table_name="notifications")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("purge_days")
        batch_op.drop_column("purged_at")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("audit_log")  # SQLite drops its triggers with it
