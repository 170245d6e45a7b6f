"""partial indexes on the columns only sent messages fill

`sent_at`, `io_message_id` and `next_status_check_at` are NULL on every row not yet sent:
a full index keeps an entry for each of those, written by every import (a million rows
per flow at most) and moved again when the row is sent. Every query on these columns
compares them (=, <=, a date range), which implies IS NOT NULL, so SQLite and PostgreSQL
use the partial indexes as they used the full ones.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("sent_at", "io_message_id", "next_status_check_at")


def upgrade() -> None:
    for column in COLUMNS:
        name = f"ix_notifications_{column}"
        op.drop_index(name, table_name="notifications")
        condition = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name,
            "notifications",
            [column],
            sqlite_where=condition,
            postgresql_where=condition,
        )


def downgrade() -> None:
    for column in COLUMNS:
        name = f"ix_notifications_{column}"
        op.drop_index(name, table_name="notifications")
        op.create_index(name, "notifications", [column])
