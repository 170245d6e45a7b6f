"""notifications: one table for every message, flows' recipients and single messages

The recipients of flows move into `notifications` (the same ids), which also holds the
single messages of «Nuovo» (`flow_id` NULL). Each row now carries its service, author,
creation time and feature level, so that the archive needs no join to filter them, and
`status_check_until`, so that status reads need no flow. `notification_status_events`
keeps the history of IO's status of each message.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 15:29:25.313032
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import appio_core.storage.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = appio_core.storage.models.UTCDateTime(timezone=True)
# The columns both tables share, copied as they are.
SHARED = (
    "id, flow_id, row_number, fiscal_code, subject, markdown, amount, notice_number, due_date,"
    " extra, outcome, attempts, next_attempt_at, worker_id, send_started_at, sent_at,"
    " io_message_id, http_status, error_detail, retryable, io_status, email_status,"
    " read_status, payment_status, status_checked_at, next_status_check_at, updated_at"
)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=True),
        sa.Column("fiscal_code", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("notice_number", sa.String(length=18), nullable=True),
        sa.Column("due_date", sa.String(length=30), nullable=True),
        sa.Column("feature_level", sa.String(length=10), nullable=False),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=True),
        sa.Column("worker_id", sa.String(length=80), nullable=True),
        sa.Column("send_started_at", UTC_DATETIME, nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.Column("io_message_id", sa.String(length=40), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("io_status", sa.String(length=20), nullable=True),
        sa.Column("email_status", sa.String(length=20), nullable=True),
        sa.Column("read_status", sa.String(length=20), nullable=True),
        sa.Column("payment_status", sa.String(length=20), nullable=True),
        sa.Column("status_checked_at", UTC_DATETIME, nullable=True),
        sa.Column("next_status_check_at", UTC_DATETIME, nullable=True),
        sa.Column("status_check_until", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["flows.id"],
            name=op.f("fk_notifications_flow_id_flows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_notifications_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("request_key", name=op.f("uq_notifications_request_key")),
    )
    op.execute(
        f"INSERT INTO notifications ({SHARED}, service_id, created_by, created_at, feature_level)"
        f" SELECT {', '.join('r.' + c.strip() for c in SHARED.split(','))},"
        " f.service_id, f.created_by, f.created_at, f.feature_level"
        " FROM recipients r JOIN flows f ON f.id = r.flow_id"
    )
    _status_check_until()
    if op.get_bind().dialect.name == "postgresql":
        # Rows were copied with their ids: the sequence must start after them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('notifications', 'id'),"
            " COALESCE((SELECT MAX(id) FROM notifications), 0) + 1, false)"
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_fiscal_code", ["fiscal_code", "id"], unique=False)
        batch_op.create_index(
            "ix_notifications_flow_outcome", ["flow_id", "outcome", "id"], unique=False
        )
        batch_op.create_index("ix_notifications_flow_row", ["flow_id", "row_number"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notifications_io_message_id"), ["io_message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_next_status_check_at"),
            ["next_status_check_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_notifications_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index("ix_notifications_service", ["service_id", "id"], unique=False)

    op.create_table(
        "notification_status_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "notification_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("io_status", sa.String(length=20), nullable=True),
        sa.Column("email_status", sa.String(length=20), nullable=True),
        sa.Column("read_status", sa.String(length=20), nullable=True),
        sa.Column("payment_status", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_status_events_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_status_events")),
    )
    with op.batch_alter_table("notification_status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_status_events_notification_id"),
            ["notification_id"],
            unique=False,
        )

    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_recipients_flow_outcome")
        batch_op.drop_index(batch_op.f("ix_recipients_next_status_check_at"))
    op.drop_table("recipients")


def _status_check_until() -> None:
    """Only the messages whose status is still being read need the new bound; computed
    here rather than in SQL because SQLite and PostgreSQL add hours differently."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT n.id, n.sent_at, f.status_check_hours FROM notifications n"
            " JOIN flows f ON f.id = n.flow_id"
            " WHERE n.next_status_check_at IS NOT NULL AND n.sent_at IS NOT NULL"
        ).columns(sa.column("id"), sa.column("sent_at", UTC_DATETIME), sa.column("hours"))
    ).all()
    update = sa.text("UPDATE notifications SET status_check_until = :until WHERE id = :id")
    update = update.bindparams(sa.bindparam("until", type_=UTC_DATETIME))
    for row_id, sent_at, hours in rows:
        bind.execute(update, {"id": row_id, "until": sent_at + timedelta(hours=hours)})


def downgrade() -> None:
    op.create_table(
        "recipients",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("fiscal_code", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("notice_number", sa.String(length=18), nullable=True),
        sa.Column("due_date", sa.String(length=30), nullable=True),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=True),
        sa.Column("worker_id", sa.String(length=80), nullable=True),
        sa.Column("send_started_at", UTC_DATETIME, nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.Column("io_message_id", sa.String(length=40), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("io_status", sa.String(length=20), nullable=True),
        sa.Column("email_status", sa.String(length=20), nullable=True),
        sa.Column("read_status", sa.String(length=20), nullable=True),
        sa.Column("payment_status", sa.String(length=20), nullable=True),
        sa.Column("status_checked_at", UTC_DATETIME, nullable=True),
        sa.Column("next_status_check_at", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_recipients_flow_id_flows"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipients")),
    )
    # Single messages have no flow: they cannot go back to a table of flows' recipients.
    op.execute(
        f"INSERT INTO recipients ({SHARED}) SELECT {SHARED} FROM notifications"
        " WHERE flow_id IS NOT NULL"
    )
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recipients_flow_outcome", ["flow_id", "outcome", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recipients_next_status_check_at"), ["next_status_check_at"], unique=False
        )
    op.drop_table("notification_status_events")
    op.drop_table("notifications")
