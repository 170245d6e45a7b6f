"""«Oggetto contiene»: a substring search over the notifications' subjects that an index
answers on both databases, for the archive's page, the CLI and the exports alike.

- SQLite: an FTS5 table with the trigram tokenizer, `notifications_subject_fts`, whose
  content is `notifications.subject` (external content: the text is not stored twice).
  Triggers on `notifications` keep it in step in the same transaction as every insert,
  subject change (the purge's) and delete; migration 0018 creates them. A migration that
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

from sqlalchemy import ColumnElement, Integer, column, or_, text

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


def subject_contains(dialect: str, words: str) -> ColumnElement[bool]:
    """The condition «the subject contains `words`» (already stripped, not empty), for the
    database `dialect` ("sqlite", "postgresql")."""
    if dialect == "postgresql":
        # ILIKE folds case by the database's locale; the trigram index answers it from 3
        # characters, PostgreSQL's planner scans for fewer.
        return Notification.subject.ilike(f"%{_escaped(words)}%", escape="\\")
    if len(words) >= INDEXED_MIN_CHARS:
        # A phrase of trigrams: the rows whose subject holds `words` as a substring, case
        # folded by the tokenizer (case_sensitive 0) for every letter.
        phrase = '"' + words.replace('"', '""') + '"'
        matching = (
            text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :subject_phrase")
            .bindparams(subject_phrase=phrase)
            .columns(column("rowid", Integer))
        )
        return Notification.id.in_(matching)
    # 1-2 characters: SQLite's LIKE folds ASCII letters only, so each accented letter is
    # asked in both cases (at most 4 patterns).
    variants = {"".join(chars) for chars in product(*({c.lower(), c.upper()} for c in words))}
    return or_(
        *(
            Notification.subject.like(f"%{_escaped(variant)}%", escape="\\")
            for variant in sorted(variants)
        )
    )
