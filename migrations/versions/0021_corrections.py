"""«Rettifica»: a flow or a message that corrects an earlier one

`flows.corrects_flow_id`: the flow a correcting flow corrects (indexed: «Rettificata da»).
`notifications.corrects_notification_id`: the message a message corrects, to the same
citizen: a single correction, or a row of a correcting flow (the original flow's row). A
partial index: only corrections have an entry. Both NULL on every row written before.

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-05 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFICATION_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ADD COLUMN (NULL, no default: no row rewritten): the notifications table may
    # hold millions of messages. No foreign keys: SQLite adds one only in batch mode,
    # which copies the table and drops the old one (its ON DELETE CASCADE children too).
    op.add_column("flows", sa.Column("corrects_flow_id", sa.Integer(), nullable=True))
    op.create_index("ix_flows_corrects_flow_id", "flows", ["corrects_flow_id"])
    op.add_column(
        "notifications", sa.Column("corrects_notification_id", NOTIFICATION_ID, nullable=True)
    )
    op.create_index(
        "ix_notifications_corrects_notification_id",
        "notifications",
        ["corrects_notification_id"],
        sqlite_where=sa.text("corrects_notification_id IS NOT NULL"),
        postgresql_where=sa.text("corrects_notification_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_corrects_notification_id", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("corrects_notification_id")
    op.drop_index("ix_flows_corrects_flow_id", table_name="flows")
    with op.batch_alter_table("flows") as batch:
        batch.drop_column("corrects_flow_id")
