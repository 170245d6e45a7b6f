"""The archive of every message: filters, a page of rows with the total count, all rows for
an export. One query over `notifications` serves flows' recipients and single messages.

Operators who are not administrators see only the services enabled for them; the filter
is applied here, in the query, never by the page. A search by codice fiscale is a read of
a citizen's data: `count` (and `search`, through it) records it in the audit log, one
entry per search with the number of rows found, or refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.orm import Session, aliased

from appio_core.accounts.permissions import Actor, enabled_service_ids
from appio_core.audit import AuditAction, recording
from appio_core.content import fiscal_code as cf
from appio_core.domain import FeatureLevel, Outcome
from appio_core.italian import ROME, counted, thousands
from appio_core.numbers import MAX_ID, whole_number
from appio_core.paging import Page, bounds
from appio_core.storage.models import Flow, Notification, Service
from appio_core.storage.subject_search import (
    FTS,
    from_matches,
    fts_match,
    fts_words,
    subject_contains,
)


class SortKey(StrEnum):
    """The columns the archive can be ordered by, each backed by an index or cheap."""

    ID = "id"
    SENT_AT = "sent_at"
    FISCAL_CODE = "fiscal_code"
    SERVICE = "service"
    OUTCOME = "outcome"
    SUBJECT = "subject"
    AUTHOR = "created_by"
    ROW = "row_number"  # a flow's recipients in file order


@dataclass(frozen=True)
class Sort:
    key: SortKey = SortKey.ID
    descending: bool = True


NEWEST_FIRST = Sort()
# A page's total is counted exactly up to this when a text search reads each match from
# the table (see _stops_at_cap); one that finds more says «oltre 10.000».
COUNT_CAP = 10_000


@dataclass(frozen=True)
class NotificationFilters:
    """What «Elenca» searches; empty fields do not filter. Days are Italian calendar days."""

    service_id: int | None = None
    fiscal_code: str = ""
    flow: str = ""  # a flow's number, or words of its name
    only_single: bool = False
    outcome: Outcome | None = None
    io_status: str | None = None  # IO's code (PROCESSED...); "" = not read yet
    subject_contains: str = ""
    io_message_id: str = ""
    sent_from: date | None = None
    sent_to: date | None = None  # inclusive
    author: str = ""
    only_corrections: bool = False  # «Solo rettifiche»: the messages correcting another

    def describe(self, *, code_apart: bool = False) -> str:
        """The filter in words, for exports and the audit log (never a message text).
        `code_apart`: the codice fiscale is not written, the audit entry keeps it in its own
        column (searched_code), where the purge finds it."""
        code = "vedi «Codice fiscale»" if code_apart and self.fiscal_code.strip() else None
        parts = []
        for label, value in (
            ("servizio", self.service_id),
            ("codice fiscale", code or self.fiscal_code),
            ("flusso", self.flow),
            ("solo singole", "sì" if self.only_single else ""),
            ("esito", self.outcome.value if self.outcome else ""),
            ("stato su IO", self.io_status),
            ("oggetto contiene", self.subject_contains),
            ("ID messaggio IO", self.io_message_id),
            ("dal", self.sent_from.strftime("%d/%m/%Y") if self.sent_from else ""),
            ("al", self.sent_to.strftime("%d/%m/%Y") if self.sent_to else ""),
            ("autore", self.author),
            ("solo rettifiche", "sì" if self.only_corrections else ""),
        ):
            if value not in (None, ""):
                parts.append(f"{label}: {value}")
        return "; ".join(parts) or "nessun filtro"


@dataclass(frozen=True)
class NotificationRow:
    """One line of the archive: what the grid and the export show (no message text)."""

    id: int
    flow_id: int | None
    flow_name: str | None
    row_number: int | None
    service_id: int
    service_name: str
    fiscal_code: str
    subject: str
    outcome: Outcome
    error_detail: str | None
    http_status: int | None
    io_message_id: str | None
    io_status: str | None
    email_status: str | None
    read_status: str | None
    payment_status: str | None
    feature_level: FeatureLevel
    amount: int | None
    notice_number: str | None
    due_date: str | None  # ISO-8601 UTC, as sent to IO
    attempts: int
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    purged_at: datetime | None  # its personal data removed (retention)
    purge_days: int | None
    send_after: datetime | None = None  # its file's send date: not sent before
    # «Rettifica»: the message this one corrects; the latest correcting this one.
    corrects_notification_id: int | None = None
    corrected_by: int | None = None


# «Rettificata da»: one probe of the partial index per row shown.
_CORRECTION = aliased(Notification, name="correction")
_CORRECTED_BY = (
    select(func.max(_CORRECTION.id))
    .where(_CORRECTION.corrects_notification_id == Notification.id)
    .correlate(Notification)
    .scalar_subquery()
    .label("corrected_by")
)
_COLUMNS = (
    Notification.id,
    Notification.flow_id,
    Flow.name.label("flow_name"),
    Notification.row_number,
    Notification.service_id,
    Service.name.label("service_name"),
    Notification.fiscal_code,
    Notification.subject,
    Notification.outcome,
    Notification.error_detail,
    Notification.http_status,
    Notification.io_message_id,
    Notification.io_status,
    Notification.email_status,
    Notification.read_status,
    Notification.payment_status,
    Notification.feature_level,
    Notification.amount,
    Notification.notice_number,
    Notification.due_date,
    Notification.attempts,
    Notification.created_by,
    Notification.created_at,
    Notification.sent_at,
    Notification.purged_at,
    Notification.purge_days,
    Notification.send_after,
    Notification.corrects_notification_id,
    _CORRECTED_BY,
)

_SORT_COLUMNS: dict[SortKey, Any] = {
    SortKey.ID: Notification.id,
    SortKey.SENT_AT: Notification.sent_at,
    SortKey.FISCAL_CODE: Notification.fiscal_code,
    SortKey.SERVICE: Service.name,
    SortKey.OUTCOME: Notification.outcome,
    SortKey.SUBJECT: Notification.subject,
    SortKey.AUTHOR: Notification.created_by,
    SortKey.ROW: Notification.row_number,
}


def due_moment(value: str | None) -> datetime | None:
    """A stored due date (ISO-8601 UTC, as sent to IO) as an aware datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ROME)


def searched_code(filters: NotificationFilters) -> str | None:
    """The codice fiscale (or pseudonym) the filters search, as the audit log keeps it."""
    return cf.stored_form(filters.fiscal_code) if filters.fiscal_code.strip() else None


def _conditions(session: Session, actor: Actor, filters: NotificationFilters) -> list[Any]:
    where: list[ColumnElement[bool]] = []
    allowed = enabled_service_ids(session, actor)
    if allowed is not None:
        where.append(Notification.service_id.in_(allowed))
    if filters.service_id is not None:
        where.append(Notification.service_id == filters.service_id)
    if filters.fiscal_code.strip():
        # A codice fiscale finds the rows kept in clear; a pseudonym (ps:…, as a purged row
        # shows it) finds that citizen's purged rows.
        where.append(Notification.fiscal_code == cf.stored_form(filters.fiscal_code))
    if filters.only_single:
        where.append(Notification.flow_id.is_(None))
    flow = filters.flow.strip()
    if flow and not filters.only_single:
        if (flow_id := whole_number(flow, MAX_ID)) is not None:
            where.append(Notification.flow_id == flow_id)
        else:
            where.append(func.lower(Flow.name).contains(flow.lower(), autoescape=True))
    if filters.outcome is not None:
        where.append(Notification.outcome == filters.outcome)
    if filters.io_status is not None:
        if filters.io_status == "":
            where.append(Notification.io_status.is_(None))
        else:
            where.append(Notification.io_status == filters.io_status)
    words = filters.subject_contains.strip()
    if words and _fts_words(session, filters) is None:
        where.append(subject_contains(session.get_bind().dialect.name, words))
    if filters.io_message_id.strip():
        where.append(Notification.io_message_id == filters.io_message_id.strip().upper())
    if filters.sent_from is not None:
        where.append(Notification.sent_at >= _day_start(filters.sent_from))
    if filters.sent_to is not None:
        where.append(Notification.sent_at < _day_start(filters.sent_to + timedelta(days=1)))
    if filters.author.strip():
        where.append(Notification.created_by == filters.author.strip().lower())
    if filters.only_corrections:
        where.append(Notification.corrects_notification_id.is_not(None))
    return where


def _fts_words(session: Session, filters: NotificationFilters) -> str | None:
    return fts_words(session, filters.subject_contains)


def _matching(stmt: Select, session: Session, filters: NotificationFilters) -> Select:
    return from_matches(stmt, _fts_words(session, filters))


def _query(session: Session, actor: Actor, filters: NotificationFilters, *extra: Any) -> Select:
    stmt: Select = _matching(select(*_COLUMNS, *extra), session, filters)
    return (
        stmt.join(Service, Service.id == Notification.service_id)
        .outerjoin(Flow, Flow.id == Notification.flow_id)
        .where(*_conditions(session, actor, filters))
    )


def _ordered(stmt: Select, sort: Sort, fts: bool = False) -> Select:
    column = _SORT_COLUMNS[sort.key]
    order = column.desc() if sort.descending else column.asc()
    tie = Notification.id.desc() if sort.descending else Notification.id.asc()
    if sort.key == SortKey.ID:
        # From the FTS table, its rowid (the same id) is the order SQLite reads it in.
        key = FTS.c.rowid if fts else Notification.id
        return stmt.order_by(key.desc() if sort.descending else key.asc())
    # Rows never sent have no date: they go last whichever way the list is ordered.
    if sort.key == SortKey.SENT_AT:
        return stmt.order_by(column.is_(None), order, tie)
    return stmt.order_by(order, tie)


def count(
    session: Session,
    actor: Actor,
    filters: NotificationFilters,
    *,
    record: bool = True,
    cap: int | None = None,
) -> int:
    """The rows matching the filters. A search by codice fiscale is in the audit log
    unless `record` is False: a page shown again (another page of the grid, another
    order, a rerun) is not a new search. With `cap`, a count that would be costly (a text
    search that reads its matches from the table) stops at cap + 1: more than `cap`."""
    code = searched_code(filters)
    if code is None or not record:
        return _count(session, actor, filters, cap)
    flow = filters.flow.strip()
    numbered = whole_number(flow, MAX_ID) is not None
    target = f"destinatari del flusso n. {flow}" if numbered else "archivio delle notifiche"
    with recording(
        session,
        actor,
        AuditAction.READ_SEARCH,
        target,
        f"Filtri: {filters.describe(code_apart=True)}.",
        fiscal_code=code,
    ) as entry:
        total = _count(session, actor, filters, cap)
        found = counted(total, "riga trovata", "righe trovate")
        if cap is not None and total > cap and _stops_at_cap(session, actor, filters):
            found = f"oltre {thousands(cap)} righe trovate"
        entry.detail += f" {found}."
        return total


def _stops_at_cap(session: Session, actor: Actor, filters: NotificationFilters) -> bool:
    """Whether a count with a cap stops there: a text search, whose every match is read
    from the table (hundreds of thousands take seconds), except SQLite's FTS table alone,
    which counts its matches without reading the rows."""
    if not filters.subject_contains.strip():
        return False
    return _fts_words(session, filters) is None or bool(_conditions(session, actor, filters))


def _count(
    session: Session, actor: Actor, filters: NotificationFilters, cap: int | None = None
) -> int:
    where = _conditions(session, actor, filters)
    words = _fts_words(session, filters)
    if not _stops_at_cap(session, actor, filters):
        cap = None  # exact: the count is cheap
    if words is not None and not where:
        # The text alone: the FTS table counts its matches without reading the rows.
        return session.scalar(select(func.count()).select_from(FTS).where(fts_match(words))) or 0
    rows = _matching(select(literal_column("1")), session, filters)
    named = whole_number(filters.flow, MAX_ID) is None
    if filters.flow.strip() and named and not filters.only_single:
        rows = rows.join(Flow, Flow.id == Notification.flow_id)
    rows = rows.where(*where)
    if cap is not None:
        rows = rows.limit(cap + 1)
    return session.scalar(select(func.count()).select_from(rows.subquery())) or 0


def search(
    session: Session,
    actor: Actor,
    filters: NotificationFilters,
    *,
    sort: Sort = NEWEST_FIRST,
    page: int = 1,
    page_size: int = 50,
    record: bool = True,
) -> Page[NotificationRow]:
    """One page of the archive, with the total count of rows matching the filters (a
    search by codice fiscale recorded as `count` says); over COUNT_CAP for a text search
    that reads its matches, the total says «more than COUNT_CAP» (`Page.more`)."""
    total = count(session, actor, filters, record=record, cap=COUNT_CAP)
    more = _stops_at_cap(session, actor, filters) and total > COUNT_CAP
    total = COUNT_CAP if more else total
    number, size, offset = bounds(total, page, page_size)
    if total == 0:
        return Page(rows=[], total=0, number=number, size=size)
    fts = _fts_words(session, filters) is not None
    stmt = _ordered(_query(session, actor, filters), sort, fts).limit(size).offset(offset)
    rows = [NotificationRow(**row._mapping) for row in session.execute(stmt)]
    return Page(rows=rows, total=total, number=number, size=size, more=more)


def iter_rows(
    session: Session, actor: Actor, filters: NotificationFilters, sort: Sort = NEWEST_FIRST
) -> Iterator[NotificationRow]:
    """Every matching row, streamed from the database in batches (constant memory)."""
    stmt = _ordered(_query(session, actor, filters), sort, _fts_words(session, filters) is not None)
    result = session.execute(stmt, execution_options={"yield_per": 2000})
    for row in result:
        yield NotificationRow(**row._mapping)


def iter_columns(
    session: Session,
    actor: Actor,
    filters: NotificationFilters,
    sort: Sort = NEWEST_FIRST,
    *,
    size: int = 5_000,
    with_extra: bool = False,
) -> Iterator[dict[str, list[Any]]]:
    """Every matching row, `size` at a time, as columns (NotificationRow's field names, and
    `extra` when asked): what an export of a hundred thousand rows needs, without an object
    per row. Core execution, streamed from the database."""
    extra = (Notification.extra,) if with_extra else ()
    fts = _fts_words(session, filters) is not None
    stmt = _ordered(_query(session, actor, filters, *extra), sort, fts)
    result = session.connection().execute(stmt.execution_options(yield_per=size))
    names = list(result.keys())
    for part in result.partitions(size):
        columns = zip(*part, strict=True)
        yield {name: list(values) for name, values in zip(names, columns, strict=True)}
