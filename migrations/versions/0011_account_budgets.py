"""account budgets: one IO account's limit shared by every process

`account_budgets`: one row per IO account, created at its first use. The calls made to IO
outside the worker (single messages, test sends, profile and status checks, from the web
and the CLI) book each request on it (a GCRA: `tat`, `last_slot`, `warm_from`, `early`);
the worker holding the account's lease writes its presence (`worker_until`) and the
reserve it keeps for them (`reserve`). `bookings` counts the requests booked, `bucket`,
`count` and `previous` those of the last two spans of time. Times are wall-clock seconds.
The rules are in appio_core/io/budget.py.

Revision ID: 0011
Revises: 0015
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_budgets",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("tat", sa.Double(), nullable=False),
        sa.Column("last_slot", sa.Double(), nullable=False),
        sa.Column("warm_from", sa.Double(), nullable=False),
        sa.Column("early", sa.Integer(), nullable=False),
        sa.Column("worker_until", sa.Double(), nullable=False),
        sa.Column("reserve", sa.Integer(), nullable=False),
        sa.Column("bookings", sa.BigInteger(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("previous", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["io_accounts.id"],
            name=op.f("fk_account_budgets_account_id_io_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_budgets")),
    )


def downgrade() -> None:
    op.drop_table("account_budgets")
