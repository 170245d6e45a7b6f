"""four eyes: a service's approval policy, a flow's request and decision, its file report

`services.approval_policy` ("off", "above", "always") and `approval_threshold` (the N of
"above"); every service written before is "off". `flows.approval_*` and `approved_*`: who
asked for approval, who approved, and the note the author reads (a rejection's reason, or
why the request was taken away). `flows.file_report`: the «Verifica file» report of the
imported file (JSON), shown to whoever approves; NULL on flows imported before.

Revision ID: 0020
Revises: 0011
Create Date: 2026-12-05 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import appio_core.storage.models

revision: str = "0020"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = appio_core.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN: a constant default rewrites no row on PostgreSQL 11+ and SQLite.
    op.add_column(
        "services",
        sa.Column("approval_policy", sa.String(length=10), server_default="off", nullable=False),
    )
    op.add_column("services", sa.Column("approval_threshold", sa.Integer(), nullable=True))
    op.add_column("flows", sa.Column("approval_requested_by", sa.String(length=64), nullable=True))
    op.add_column("flows", sa.Column("approval_requested_at", UTC_DATETIME, nullable=True))
    op.add_column("flows", sa.Column("approved_by", sa.String(length=64), nullable=True))
    op.add_column("flows", sa.Column("approved_at", UTC_DATETIME, nullable=True))
    op.add_column("flows", sa.Column("approval_note", sa.Text(), nullable=True))
    op.add_column("flows", sa.Column("file_report", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flows") as batch:
        for column in (
            "file_report",
            "approval_note",
            "approved_at",
            "approved_by",
            "approval_requested_at",
            "approval_requested_by",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("services") as batch:
        batch.drop_column("approval_threshold")
        batch.drop_column("approval_policy")
