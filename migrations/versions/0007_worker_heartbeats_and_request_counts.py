"""worker heartbeats and per-account request counts

`worker_heartbeats`: each worker process, its host and pid, when it started, when it was
last seen and until when it counts as alive, the accounts it held. `account_request_counts`:
requests made to IO per account and minute, and the 429s among them. Both feed «Stato del
sistema»; the heartbeats also the fair share of the accounts between the workers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import appio_core.storage.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = appio_core.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(length=80), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("alive_until", UTC_DATETIME, nullable=False),
        sa.Column("stopped_at", UTC_DATETIME, nullable=True),
        sa.Column("accounts", sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index(op.f("ix_worker_heartbeats_alive_until"), "worker_heartbeats", ["alive_until"])
    op.create_table(
        "account_request_counts",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("minute", UTC_DATETIME, nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("throttled", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["io_accounts.id"],
            name=op.f("fk_account_request_counts_account_id_io_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "minute", name=op.f("pk_account_request_counts")),
    )


def downgrade() -> None:
    op.drop_table("account_request_counts")
    op.drop_index(op.f("ix_worker_heartbeats_alive_until"), table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
