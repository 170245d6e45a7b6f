"""notification stats: the «Cruscotto»'s summaries, kept by triggers

`notification_counts` (per Italian day, service and flow: messages per outcome, ADVANCED ones
read and paid) and `notification_reach` (per Italian month, service and citizen: whether
IO knows him with the service allowed; service 0: any service), with
`notification_reach_months` (per month and service, its distinct citizens). Triggers on
`notifications` keep them in the same transaction as every change of a row; they are
filled here from the rows already there. What they count is defined once, in
appio_core/notifications/stats/sql.py (the rebuild uses it too); a change to it comes with
a revision that drops and re-creates them.

Revision ID: 0016
Revises: 0021
Create Date: 2026-12-05 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from appio_core.notifications.stats.sql import create_triggers, drop_triggers, fill_from_rows

revision: str = "0016"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = (
    "sent",
    "accepted",
    "delivered",
    "not_on_io",
    "service_disabled",
    "errors",
    "uncertain",
    "advanced",
    "advanced_read",
    "advanced_paid",
    "advanced_payments",
)


def upgrade() -> None:
    op.create_table(
        "notification_counts",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS),
        sa.PrimaryKeyConstraint(
            "day", "service_id", "flow_id", name=op.f("pk_notification_counts")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "notification_reach",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("citizen", sa.String(length=16), nullable=False),
        sa.Column("known", sa.Integer(), nullable=False),
        sa.Column("reachable", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "service_id", "citizen", name=op.f("pk_notification_reach")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "notification_reach_months",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("citizens", sa.Integer(), nullable=False),
        sa.Column("reachable", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "service_id", name=op.f("pk_notification_reach_months")),
        sqlite_with_rowid=False,
    )
    dialect = op.get_bind().dialect.name
    for statement in fill_from_rows(dialect) + create_triggers(dialect):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("notification_reach_months")
    op.drop_table("notification_reach")
    op.drop_table("notification_counts")
