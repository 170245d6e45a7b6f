"""the ente's IO manage key, and the services' key regeneration

`institution`: one row, the installation's ente, with its IO *manage* key (encrypted like
the services' keys, the last 4 characters in clear to show it masked), who set it, when.
`services.secondary_first`: the app calls IO with the secondary key first while the primary
is being regenerated («Rigenera chiavi»); `services.keys_regeneration_started_at`: a
regeneration under way, so that two cannot run at once on one service.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import appio_core.storage.models

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = appio_core.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manage_key_encrypted", sa.String(length=500), nullable=True),
        sa.Column("manage_key_last4", sa.String(length=4), nullable=True),
        sa.Column("manage_key_set_at", UTC_DATETIME, nullable=True),
        sa.Column("manage_key_set_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
    )
    # Plain ADD COLUMN (SQLite has it): rebuilding `services` would drop a table that flows
    # and notifications reference. A constant default, so that SQLite need not rebuild it.
    op.add_column(
        "services",
        sa.Column("secondary_first", sa.Boolean(), server_default="0", nullable=False),
    )
    op.add_column("services", sa.Column("keys_regeneration_started_at", UTC_DATETIME))


def downgrade() -> None:
    with op.batch_alter_table("services") as batch_op:
        batch_op.drop_column("keys_regeneration_started_at")
        batch_op.drop_column("secondary_first")
    op.drop_table("institution")
