"""«Oggetto contiene» answered by an index: FTS5 trigram on SQLite, pg_trgm on PostgreSQL

SQLite: `notifications_subject_fts`, an FTS5 table (trigram tokenizer, case folded) whose
content is `notifications.subject`, filled from the rows already there and kept in step by
three triggers (a single message inserted, subject changed, delete); the flow import indexes
its rows in one statement. A later migration that rebuilds
`notifications` in batch mode drops these triggers and must create them again.
PostgreSQL: the pg_trgm extension and a GIN index on `notifications.subject`.
The query side is appio_core/storage/subject_search.py.

Revision ID: 0018
Revises: 0020
Create Date: 2026-12-05 23:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS = "notifications_subject_fts"
INDEX = "ix_notifications_subject_trgm"
TRIGGERS = {
    # A flow's rows are indexed by the import, all at once (appio_core/flows/recipient_rows):
    # a trigger's insert into FTS5 runs in a savepoint of its own, which writes a segment
    # per row, five times the import's time.
    "insert": f"""AFTER INSERT ON notifications WHEN new.flow_id IS NULL BEGIN
        INSERT INTO {FTS}(rowid, subject) VALUES (new.id, new.subject);
    END""",
    "update": f"""AFTER UPDATE OF subject ON notifications
    WHEN old.subject IS NOT new.subject BEGIN
        INSERT INTO {FTS}({FTS}, rowid, subject) VALUES ('delete', old.id, old.subject);
        INSERT INTO {FTS}(rowid, subject) VALUES (new.id, new.subject);
    END""",
    "delete": f"""AFTER DELETE ON notifications BEGIN
        INSERT INTO {FTS}({FTS}, rowid, subject) VALUES ('delete', old.id, old.subject);
    END""",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX {INDEX} ON notifications USING gin (subject gin_trgm_ops)")
        return
    op.execute(
        f"CREATE VIRTUAL TABLE {FTS} USING fts5(subject, content='notifications',"
        " content_rowid='id', tokenize='trigram case_sensitive 0')"
    )
    op.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {FTS}_{name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{name}")
    op.execute(f"DROP TABLE IF EXISTS {FTS}")
