"""«Oggetto contiene»: a substring search over the notifications' subjects that an index
answers on both databases, for the archive's page, the CLI and the exports alike.

- SQLite: an FTS5 table with the trigram tokenizer, `notifications_subject_fts`, whose
  content is `notifications.subject` (external content: the text is not stored twice).
  Triggers on `notifications` keep it in step in the same transaction as every single
  message inserted, subject change (the purge's) and delete; migration 0018 creates them. A
  flow's rows are inserted in bulk and indexed by one statement (`index_new_rows`), because
  FTS5 behind a trigger writes a segment per row (the import five times slower): whatever
  inserts rows with a flow_id must call it. A migration that
  rebuilds `notifications` (SQLite's batch mode) drops its triggers with it and must create
  them again.
- PostgreSQL: a GIN index with pg_trgm's operator class on `notifications.subject`
  (`ix_notifications_subject_trgm`), which ILIKE uses.

The meaning is the same on both: the subject contains the words typed, whatever the case
of any letter, accented ones included («CITTÀ» finds «città»); accents count («citta» does
not find «città»). A trigram index needs 3 characters: 1 or 2 are found by a plain scan,
with the same meaning.

Neither the FTS table nor the GIN index is in the models: `include_name` keeps them out
of Alembic's comparison of the database with the models.
"""

from __future__ import annotations

from itertools import product

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    bindparam,
    column,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from appio_core.storage.models import Notification

FTS_TABLE = "notifications_subject_fts"
TRIGRAM_INDEX = "ix_notifications_subject_trgm"
INDEXED_MIN_CHARS = 3  # a trigram index finds nothing shorter


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic (env.py, the migration test): the search structures are the migration's,
    not the models'. FTS5 also makes shadow tables named after its own."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name == TRIGRAM_INDEX)


def _escaped(words: str) -> str:
    return words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def uses_fts(dialect: str, words: str) -> bool:
    """Whether SQLite's FTS table answers the search of `words` (stripped, not empty): the
    query then starts from `FTS`'s matches (`fts_match`), joined to `notifications`."""
    return dialect == "sqlite" and len(words) >= INDEXED_MIN_CHARS


# The FTS table as a FROM clause; `rowid` is the notification's id.
FTS = table(FTS_TABLE, column("rowid", Integer))


def fts_match(words: str) -> ColumnElement[bool]:
    """FTS's rows whose subject holds `words` as a substring: a phrase of trigrams, case
    folded by the tokenizer (case_sensitive 0) for every letter."""
    phrase = '"' + words.replace('"', '""') + '"'
    return literal_column(FTS_TABLE).op("MATCH")(bindparam("subject_phrase", phrase))


def fts_words(session: Session, typed: str) -> str | None:
    """The words of «Oggetto contiene» (stripped) when SQLite's FTS table answers them."""
    words = typed.strip()
    return words if words and uses_fts(session.get_bind().dialect.name, words) else None


def from_matches(stmt: Select, words: str | None) -> Select:
    """`stmt` over the notifications, or, with `fts_words`, over the FTS table's matches
    joined to them: SQLite reads those in id order, so the newest first can stop after a
    page (ORDER BY `FTS.c.rowid`)."""
    if words is None:
        return stmt.select_from(Notification)
    return (
        stmt.select_from(FTS)
        .join(Notification, Notification.id == FTS.c.rowid)
        .where(fts_match(words))
    )


def subject_contains(dialect: str, words: str) -> ColumnElement[bool]:
    """The condition «the subject contains `words`» (stripped, not empty) on `notifications`
    alone, for the database `dialect` ("sqlite", "postgresql")."""
    if dialect == "postgresql":
        # ILIKE folds case by the database's locale; the trigram index answers it from 3
        # characters, PostgreSQL's planner scans for fewer.
        return Notification.subject.ilike(f"%{_escaped(words)}%", escape="\\")
    if uses_fts(dialect, words):
        return Notification.id.in_(select(FTS.c.rowid).where(fts_match(words)))
    # 1-2 characters: SQLite's LIKE folds ASCII letters only, so a letter beyond ASCII is
    # asked in both cases (at most 4 patterns).
    cases = [{c.lower(), c.upper()} if not c.isascii() else {c} for c in words]
    variants = sorted({"".join(chars) for chars in product(*cases)})
    return or_(
        *(Notification.subject.like(f"%{_escaped(variant)}%", escape="\\") for variant in variants)
    )


def last_id(connection: Connection) -> int:
    """The highest notification id now: `index_new_rows` indexes those after it."""
    return int(
        connection.execute(text("SELECT coalesce(max(id), 0) FROM notifications")).scalar_one()
    )


def index_new_rows(connection: Connection, after_id: int) -> None:
    """SQLite: puts the flow rows inserted after `after_id` (in this transaction) into the
    FTS table, in one statement. Nothing to do on PostgreSQL (the GIN index follows)."""
    if connection.dialect.name != "sqlite":
        return
    connection.execute(
        text(
            f"INSERT INTO {FTS_TABLE}(rowid, subject) SELECT id, subject FROM notifications"
            " WHERE id > :after AND flow_id IS NOT NULL"
        ),
        {"after": after_id},
    )
