"""The Excel exports, one writer for all: the notifications archive, the flows archive and a
flow's recipients. Each streams its rows from the database in batches into the workbook,
with IO's codes as Italian labels, dates in Italian time and amounts in euro.

Each export gets the same permission checks as the page it comes from; the caller records
it (who, which filter, how many rows).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.exports.xlsx import Column, Kind, XlsxWriter
from appio_core.flows.queries import FlowFilters, FlowView, get_flow, iter_flows
from appio_core.notifications import labels
from appio_core.notifications.archive import (
    NEWEST_FIRST,
    NotificationFilters,
    NotificationRow,
    Sort,
    SortKey,
    due_moment,
    iter_rows,
)
from appio_core.storage.models import Notification

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH = 5_000
T = TypeVar("T")

Field = tuple[Column, Callable[[Any], Any]]


def _flow_label(row: NotificationRow) -> str:
    if row.flow_id is None:
        return "Notifica singola"
    return f"n. {row.flow_id} – {row.flow_name}"


def _has_message(row: Any) -> bool:
    return row.io_message_id is not None


# The status columns every export of messages shares, with their Italian labels.
_STATUS_FIELDS: list[Field] = [
    (Column("Esito", width=22), lambda r: r.outcome.value),
    (Column("Dettaglio", width=60), lambda r: r.error_detail),
    (Column("Codice HTTP", Kind.INTEGER, width=8), lambda r: r.http_status),
    (Column("ID messaggio IO", width=30), lambda r: r.io_message_id),
    (
        Column("Stato su IO", width=22),
        lambda r: labels.io_status_label(r.io_status, _has_message(r)),
    ),
    (
        Column("Stato Mail", width=22),
        lambda r: labels.email_status_label(r.email_status, _has_message(r)),
    ),
    (
        Column("Lettura", width=18),
        lambda r: labels.read_status_label(r.read_status, r.feature_level, _has_message(r)),
    ),
    (
        Column("Pagamento", width=18),
        lambda r: labels.payment_status_label(r.payment_status, r.feature_level, _has_message(r)),
    ),
    (Column("Importo", Kind.EURO, width=14), lambda r: r.amount),
    (Column("Numero avviso", width=20), lambda r: r.notice_number),
    (Column("Scadenza", Kind.DATETIME, width=17), lambda r: due_moment(r.due_date)),
    (Column("Tentativi", Kind.INTEGER, width=9), lambda r: r.attempts),
]

NOTIFICATION_FIELDS: list[Field] = [
    (Column("N.", Kind.INTEGER, width=10), lambda r: r.id),
    (Column("Inviata il", Kind.DATETIME, width=17), lambda r: r.sent_at),
    (Column("Creata il", Kind.DATETIME, width=17), lambda r: r.created_at),
    (Column("Servizio", width=28), lambda r: r.service_name),
    (Column("Codice fiscale", width=19), lambda r: r.fiscal_code),
    (Column("Oggetto", width=50), lambda r: r.subject),
    *_STATUS_FIELDS,
    (Column("Flusso", width=34), _flow_label),
    (Column("Riga del file", Kind.INTEGER, width=8), lambda r: r.row_number),
    (Column("Autore", width=14), lambda r: r.created_by),
]

FLOW_FIELDS: list[Field] = [
    (Column("N.", Kind.INTEGER, width=8), lambda f: f.id),
    (Column("Flusso", width=40), lambda f: f.name),
    (Column("Servizio", width=28), lambda f: f.service_name),
    (Column("Natura", width=24), lambda f: f.natura),
    (Column("Stato", width=16), lambda f: f.state.value),
    (Column("Destinatari", Kind.INTEGER, width=11), lambda f: f.recipients_total),
    (Column("Creato il", Kind.DATETIME, width=17), lambda f: f.created_at),
    (Column("Attivato il", Kind.DATETIME, width=17), lambda f: f.activated_at),
    (Column("Invio iniziato il", Kind.DATETIME, width=17), lambda f: f.started_at),
    (Column("Concluso il", Kind.DATETIME, width=17), lambda f: f.finished_at),
    (Column("Autore", width=14), lambda f: f.created_by),
    (Column("File", width=30), lambda f: f.source_filename),
    (Column("Descrizione", width=40), lambda f: f.description),
]

RECIPIENT_FIELDS: list[Field] = [
    (Column("Riga del file", Kind.INTEGER, width=8), lambda r: r.row_number),
    (Column("Codice fiscale", width=19), lambda r: r.fiscal_code),
    (Column("Oggetto", width=50), lambda r: r.subject),
    *_STATUS_FIELDS,
    (Column("Inviata il", Kind.DATETIME, width=17), lambda r: r.sent_at),
]


def _batches(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _write(writer: XlsxWriter, fields: list[Field], rows: Iterable[Any]) -> int:
    count = 0
    for batch in _batches(rows):
        writer.add_rows([[get(row) for row in batch] for _, get in fields])
        count += len(batch)
    return count


def write_notifications(
    session: Session,
    actor: Actor,
    filters: NotificationFilters,
    target: IO[bytes],
    sort: Sort = NEWEST_FIRST,
) -> int:
    """The archive of notifications matching `filters`, every page of it; returns the rows."""
    with XlsxWriter(target, "Notifiche", [column for column, _ in NOTIFICATION_FIELDS]) as writer:
        count = _write(writer, NOTIFICATION_FIELDS, iter_rows(session, actor, filters, sort))
        writer.add_info_sheet("Filtri", [("Filtri", filters.describe()), ("Notifiche", count)])
    return count


def write_flows(session: Session, actor: Actor, filters: FlowFilters, target: IO[bytes]) -> int:
    """The archive of flows matching `filters`; returns the rows."""
    with XlsxWriter(target, "Flussi", [column for column, _ in FLOW_FIELDS]) as writer:
        count = _write(writer, FLOW_FIELDS, iter_flows(session, actor, filters))
        writer.add_info_sheet("Filtri", [("Filtri", filters.describe()), ("Flussi", count)])
    return count


def _file_headers(session: Session, flow_id: int, taken: set[str]) -> list[tuple[str, str]]:
    """(key in the row's JSON, header in the workbook) for the file's own columns: a file
    column named like one of ours is kept apart as «… (dal file)»."""
    first = session.scalar(
        select(Notification.extra).where(Notification.flow_id == flow_id).limit(1)
    )
    headers = []
    for key in json.loads(first or "{}"):
        shown = key if key.casefold() not in taken else f"{key} (dal file)"
        taken.add(shown.casefold())
        headers.append((key, shown))
    return headers


def write_flow_recipients(session: Session, actor: Actor, flow_id: int, target: IO[bytes]) -> int:
    """A flow's recipients with their outcomes and the file's own columns; returns the rows."""
    view: FlowView = get_flow(session, actor, flow_id)  # checks the read permission
    taken = {column.header.casefold() for column, _ in RECIPIENT_FIELDS}
    extra = _file_headers(session, flow_id, taken)
    fields = [
        *RECIPIENT_FIELDS,
        *(
            (Column(shown, width=16), (lambda r, key=key: r.extra_values.get(key)))
            for key, shown in extra
        ),
    ]
    filters = NotificationFilters(flow=str(flow_id))
    rows = (
        _WithExtra(row, extra_json)
        for row, extra_json in _recipients_with_extra(session, actor, filters)
    )
    with XlsxWriter(target, "Destinatari", [column for column, _ in fields]) as writer:
        count = _write(writer, fields, rows)
        writer.add_info_sheet(
            "Flusso",
            [
                ("Flusso", f"n. {view.id} – {view.name}"),
                ("Servizio", view.service_name),
                ("Natura", view.natura),
                ("Stato", view.state.value),
                ("File", view.source_filename),
                ("Destinatari", view.recipients_total),
                *((f"Esito: {outcome.value}", n) for outcome, n in view.counts.items()),
            ],
        )
    return count


class _WithExtra:
    """An archive row with the file's own columns of that row, parsed."""

    def __init__(self, row: NotificationRow, extra: str) -> None:
        self._row = row
        self.extra_values: dict[str, Any] = json.loads(extra or "{}")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def _recipients_with_extra(
    session: Session, actor: Actor, filters: NotificationFilters
) -> Iterator[tuple[NotificationRow, str]]:
    """The flow's rows in file order, each with its extra columns, a batch at a time."""
    rows = iter_rows(session, actor, filters, Sort(SortKey.ROW, descending=False))
    for batch in _batches(rows, BATCH):
        ids = [row.id for row in batch]
        found = session.execute(
            select(Notification.id, Notification.extra).where(Notification.id.in_(ids))
        )
        extras = {row_id: extra for row_id, extra in found}
        for row in batch:
            yield row, extras.get(row.id, "{}")
