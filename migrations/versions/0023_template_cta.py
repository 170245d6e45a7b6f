"""call-to-action buttons on a template's versions

`message_template_versions.cta`: the buttons as JSON (appio_core/content/cta.py), NULL
without. «Canale sicuro» already has its column (`require_secure_channels`, 0019).

Revision ID: 0023
Revises: 0016
Create Date: 2026-12-05 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, which SQLite does in place (no batch: see 0022).
    op.add_column("message_template_versions", sa.Column("cta", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message_template_versions") as batch:
        batch.drop_column("cta")
