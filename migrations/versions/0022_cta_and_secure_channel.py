"""call-to-action buttons and «canale sicuro» on flows and single messages

`flows.cta` and `notifications.cta`: the buttons as JSON (appio_core/content/cta.py), NULL
without; `secure_channel`: IO's `require_secure_channels` (no e-mail, an anonymous push).
A flow's rows keep NULL and false: the flow's own values are sent.

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-05 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, which SQLite does in place: a batch would copy and drop the tables,
    # and SQLite refuses to drop `flows` while the notifications' text index (0018) is open.
    for table in ("flows", "notifications"):
        op.add_column(table, sa.Column("cta", sa.Text(), nullable=True))
        op.add_column(
            table,
            sa.Column("secure_channel", sa.Boolean(), server_default=sa.false(), nullable=False),
        )


def downgrade() -> None:
    for table in ("flows", "notifications"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("secure_channel")
            batch.drop_column("cta")
