"""The archive read page after page by a machine (the API's cursor): keyset paging on the
id, newest first, so that rows inserted meanwhile never shift a page (no row seen twice,
none skipped). The filters, their permission and their audit are the archive's own."""

from __future__ import annotations

from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.notifications.archive import (
    NEWEST_FIRST,
    NotificationFilters,
    NotificationRow,
    _fts_words,  # the archive's own query, not a copy of it
    _ordered,
    _query,
    count,
    searched_code,
)
from appio_core.paging import MAX_PAGE_SIZE
from appio_core.storage.models import Notification


def rows_before(
    session: Session,
    actor: Actor,
    filters: NotificationFilters,
    before: int | None,
    limit: int,
) -> tuple[list[NotificationRow], int | None]:
    """Up to `limit` rows with an id below `before` (None: from the newest), and the id to
    continue from (None: no more). The first page of a search by codice fiscale is in the
    audit log, as the archive's search is; the following pages are the same search."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    if before is None and searched_code(filters) is not None:
        count(session, actor, filters)  # the audit entry, with the rows found
    stmt = _ordered(
        _query(session, actor, filters), NEWEST_FIRST, _fts_words(session, filters) is not None
    )
    if before is not None:
        stmt = stmt.where(Notification.id < before)
    rows = [NotificationRow(**row._mapping) for row in session.execute(stmt.limit(limit + 1))]
    following = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], following
