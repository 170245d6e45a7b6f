"""The citizens named by the audit log, and the one change its entries ever undergo.

An entry about a citizen (a search by his codice fiscale, an export filtered by it, a
read of his message or of his IO profile) keeps the code in `fiscal_code`, never in its
free text, so that the purge of personal data finds it: once the entry is older than the
retention period, the code becomes the citizen's pseudonym, the same one his purged
messages carry (appio_core.notifications.retention), so that the log still tells which
entries are about the same person, and nobody without the key can tell who.

The database allows exactly that change (migration 0012's triggers, SQLite and
PostgreSQL): `fiscal_code` from a value that is not a pseudonym to a pseudonym (`ps:` and
13 characters), every other column as it was. Any other UPDATE and every DELETE is
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.orm import Session

from appio_core.audit.models import AUDIT_LOG, AuditEntry
from appio_core.domain import PSEUDONYM_PREFIX  # what the triggers let replace a code
from appio_core.storage.db import rowcount


def _due(cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        AuditEntry.fiscal_code.is_not(None),  # the partial index's own condition
        AuditEntry.at < cutoff,
        func.substr(AuditEntry.fiscal_code, 1, len(PSEUDONYM_PREFIX)) != PSEUDONYM_PREFIX,
    )


def count_entries_due(session: Session, cutoff: datetime) -> int:
    """The entries a purge now would give a pseudonym (`appio purge --dry-run`)."""
    stmt = select(func.count()).select_from(AuditEntry).where(*_due(cutoff))
    return session.scalar(stmt) or 0


_PSEUDONYMIZE = (
    update(AUDIT_LOG)
    # Two purges at once: the second finds the pseudonym there and changes nothing.
    .where(AUDIT_LOG.c.id == bindparam("row_id"), AUDIT_LOG.c.fiscal_code == bindparam("code"))
    .values(fiscal_code=bindparam("alias"))
)


def pseudonymize_batch(
    session: Session, cutoff: datetime, alias: Callable[[str], str], size: int
) -> int:
    """Up to `size` entries older than `cutoff`: their codice fiscale becomes `alias(code)`,
    in the caller's transaction; returns how many."""
    rows = session.execute(
        select(AuditEntry.id, AuditEntry.fiscal_code)
        .where(*_due(cutoff))
        .order_by(AuditEntry.id)
        .limit(size)
    ).all()
    if not rows:
        return 0
    params = [
        {"row_id": row_id, "code": code, "alias": alias(code)}
        for row_id, code in rows
        if code is not None  # the query's own condition
    ]
    return rowcount(session.connection().execute(_PSEUDONYMIZE, params))
