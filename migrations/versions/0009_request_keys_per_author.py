"""request keys per author, with the fingerprint of what they asked

A single message's request key was unique across every operator and was looked up without
its content: an operator reusing a key got someone else's notification back, and his own
message was silently not sent. The key is now unique per author (a partial index: flows'
rows have no key and no entry), and `request_fingerprint` keeps the SHA-256 of what the key
asked, so that the same key with another message is refused. Rows registered before keep
no fingerprint: their key is refused for any new request (nothing is sent twice).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ux_notifications_author_request_key"
CONDITION = sa.text("request_key IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_constraint("uq_notifications_request_key", type_="unique")
        batch_op.add_column(sa.Column("request_fingerprint", sa.String(length=64), nullable=True))
    op.create_index(
        INDEX,
        "notifications",
        ["created_by", "request_key"],
        unique=True,
        sqlite_where=CONDITION,
        postgresql_where=CONDITION,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="notifications")
    # Two authors may hold the same key: the first one's keeps it.
    op.execute(
        "UPDATE notifications SET request_key = NULL WHERE request_key IS NOT NULL AND id NOT IN"
        " (SELECT MIN(id) FROM notifications WHERE request_key IS NOT NULL GROUP BY request_key)"
    )
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_column("request_fingerprint")
        batch_op.create_unique_constraint("uq_notifications_request_key", ["request_key"])
