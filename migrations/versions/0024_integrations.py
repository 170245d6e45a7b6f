"""integrations: the API's keys, their services, and who made a message or a flow

`integrations` (a key's SHA-256, scopes, webhook URL and sealed secret, expiry,
revocation, last use), `integration_services`, and `integration_id` on `notifications`
and `flows` (plain columns, as 0021's: SQLite adds a foreign key only by copying a table).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from appio_core.storage.models import UTCDateTime

UTC_DATETIME = UTCDateTime(timezone=True)

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("key_hint", sa.String(20), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("webhook_url", sa.String(500), nullable=True),
        sa.Column("webhook_secret", sa.Text(), nullable=True),
        sa.Column("expires_at", UTC_DATETIME, nullable=True),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
        sa.Column("last_used_at", UTC_DATETIME, nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("name", name=op.f("uq_integrations_name")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_integrations_key_hash")),
    )
    op.create_table(
        "integration_services",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_integration_services_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_integration_services_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "integration_id", "service_id", name=op.f("pk_integration_services")
        ),
    )
    # Plain ADD COLUMN, which SQLite does in place (no batch: see 0022).
    op.add_column("notifications", sa.Column("integration_id", sa.Integer(), nullable=True))
    op.add_column("flows", sa.Column("integration_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flows") as batch:
        batch.drop_column("integration_id")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("integration_id")
    op.drop_table("integration_services")
    op.drop_table("integrations")
