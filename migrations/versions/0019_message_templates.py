"""saved message templates («Modelli») and the template each flow and message used

`message_templates`: a service's named template and its current version;
`message_template_versions`: every version, never changed. `flows.template_id`,
`flows.template_version`, `notifications.template_id`, `notifications.template_version`:
what a flow or a single message was made from (NULL: no template). No foreign key from
those: a template is never deleted, and `notifications` may hold millions of rows, which
SQLite would have to rebuild to add one.

Revision ID: 0019
Revises: 0022
Create Date: 2026-12-05 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import appio_core.storage.models

revision: str = "0019"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = appio_core.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_message_templates_service_id_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_message_templates_name")),
    )
    op.create_index(op.f("ix_message_templates_service_id"), "message_templates", ["service_id"])
    op.create_table(
        "message_template_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("natura", sa.String(length=60), nullable=False),
        sa.Column("subject_template", sa.Text(), nullable=False),
        sa.Column("text_template", sa.Text(), nullable=False),
        sa.Column("amount_column", sa.String(length=200), nullable=True),
        sa.Column("notice_number_column", sa.String(length=200), nullable=True),
        sa.Column("due_date_column", sa.String(length=200), nullable=True),
        sa.Column("feature_level", sa.String(length=10), nullable=False),
        sa.Column("require_secure_channels", sa.Boolean(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["message_templates.id"],
            name=op.f("fk_message_template_versions_template_id_message_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_template_versions")),
        sa.UniqueConstraint(
            "template_id", "version", name=op.f("uq_message_template_versions_template_id")
        ),
    )
    # Plain ADD COLUMN, nullable: no table is rebuilt.
    for table in ("flows", "notifications"):
        op.add_column(table, sa.Column("template_id", sa.Integer(), nullable=True))
        op.add_column(table, sa.Column("template_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in ("notifications", "flows"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("template_version")
            batch.drop_column("template_id")
    op.drop_table("message_template_versions")
    op.drop_index(op.f("ix_message_templates_service_id"), table_name="message_templates")
    op.drop_table("message_templates")
