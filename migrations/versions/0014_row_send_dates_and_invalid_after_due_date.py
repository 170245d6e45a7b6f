"""each recipient's own send date and IO's invalid_after_due_date

`notifications.send_after`: the moment before which the dispatcher does not claim the row,
from the file's send-date column (GovIO's `expedition_date`, «data invio»); NULL sends with
the flow. A column of its own, apart from `next_attempt_at`, which retries move.
`notifications.invalid_after_due_date`: IO's payment_data flag, from the file's column of
that name; false on every row written before.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import appio_core.storage.models

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = appio_core.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN (a constant default on PostgreSQL 11+ and SQLite rewrites no row):
    # the table may hold millions of messages.
    op.add_column(
        "notifications",
        sa.Column(
            "invalid_after_due_date", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.add_column("notifications", sa.Column("send_after", UTC_DATETIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("send_after")
        batch.drop_column("invalid_after_due_date")
