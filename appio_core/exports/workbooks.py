"""The Excel exports, one writer for all: the notifications archive, the flows archive and a
flow's recipients. Each streams its rows from the database in batches into the workbook,
with IO's codes as Italian labels, dates in Italian time and amounts in euro.

Each export gets the same permission checks as the page it comes from, and is in the audit
log (who, which filter, how many rows) in the caller's transaction; a refused one too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.audit_log import AuditFilters
from appio_core.accounts.audit_log import iter_columns as iter_audit_columns
from appio_core.accounts.permissions import Actor
from appio_core.audit import AuditAction, action_label, recording
from appio_core.content.correction import link_label
from appio_core.domain import FeatureLevel
from appio_core.exports.xlsx import Column, Kind, XlsxWriter
from appio_core.flows.queries import FlowFilters, FlowView, get_flow, iter_flows
from appio_core.italian import thousands
from appio_core.notifications import labels
from appio_core.notifications.archive import (
    NEWEST_FIRST,
    NotificationFilters,
    Sort,
    SortKey,
    due_moment,
    iter_columns,
    searched_code,
)
from appio_core.storage.models import Notification

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH = 5_000
T = TypeVar("T")

Columns = dict[str, list[Any]]
# A column of the workbook and how to compute it from a batch of rows given as columns.
Field = tuple[Column, Callable[[Columns], list[Any]]]


def _same(name: str) -> Callable[[Columns], list[Any]]:
    return lambda c: c[name]


def _with_message(
    label: Callable[[str | None, bool], str], name: str
) -> Callable[[Columns], list[Any]]:
    return lambda c: [
        label(code, message is not None)
        for code, message in zip(c[name], c["io_message_id"], strict=True)
    ]


def _advanced(
    label: Callable[[str | None, FeatureLevel, bool], str], name: str
) -> Callable[[Columns], list[Any]]:
    return lambda c: [
        label(code, level, message is not None)
        for code, level, message in zip(
            c[name], c["feature_level"], c["io_message_id"], strict=True
        )
    ]


def _flow_labels(c: Columns) -> list[str]:
    return [
        "Notifica singola" if flow_id is None else f"n. {flow_id} – {name}"
        for flow_id, name in zip(c["flow_id"], c["flow_name"], strict=True)
    ]


def _purged(c: Columns) -> list[str | None]:
    return [
        None if at is None else labels.purge_note(days, at)
        for at, days in zip(c["purged_at"], c["purge_days"], strict=True)
    ]


def _corrections(c: Columns) -> list[str]:
    return [
        link_label(corrects, by)
        for corrects, by in zip(c["corrects_notification_id"], c["corrected_by"], strict=True)
    ]


# The status columns every export of messages shares, with their Italian labels.
_STATUS_FIELDS: list[Field] = [
    (Column("Esito", width=22), lambda c: [str(o) for o in c["outcome"]]),
    (Column("Dettaglio", width=60), _same("error_detail")),
    (Column("Codice HTTP", Kind.INTEGER, width=8), _same("http_status")),
    (Column("ID messaggio IO", width=30), _same("io_message_id")),
    (Column("Stato su IO", width=22), _with_message(labels.io_status_label, "io_status")),
    (Column("Stato Mail", width=22), _with_message(labels.email_status_label, "email_status")),
    (Column("Lettura", width=18), _advanced(labels.read_status_label, "read_status")),
    (Column("Pagamento", width=18), _advanced(labels.payment_status_label, "payment_status")),
    (Column("Importo", Kind.EURO, width=14), _same("amount")),
    (Column("Numero avviso", width=20), _same("notice_number")),
    (Column("Scadenza", Kind.DATETIME, width=17), lambda c: [due_moment(d) for d in c["due_date"]]),
    (Column("Tentativi", Kind.INTEGER, width=9), _same("attempts")),
    (Column("Dati personali", width=30), _purged),
]

NOTIFICATION_FIELDS: list[Field] = [
    (Column("N.", Kind.INTEGER, width=10), _same("id")),
    (Column("Inviata il", Kind.DATETIME, width=17), _same("sent_at")),
    (Column("Creata il", Kind.DATETIME, width=17), _same("created_at")),
    (Column("Servizio", width=28), _same("service_name")),
    (Column("Codice fiscale", width=19), _same("fiscal_code")),
    (Column("Oggetto", width=50), _same("subject")),
    *_STATUS_FIELDS,
    (Column("Flusso", width=34), _flow_labels),
    (Column("Riga del file", Kind.INTEGER, width=8), _same("row_number")),
    (Column("Rettifica", width=28), _corrections),
    (Column("Autore", width=14), _same("created_by")),
]

RECIPIENT_FIELDS: list[Field] = [
    (Column("Riga del file", Kind.INTEGER, width=8), _same("row_number")),
    (Column("Codice fiscale", width=19), _same("fiscal_code")),
    (Column("Oggetto", width=50), _same("subject")),
    *_STATUS_FIELDS,
    (Column("Inviata il", Kind.DATETIME, width=17), _same("sent_at")),
]

# The flows archive: a few thousand rows at most, computed per flow.
FLOW_FIELDS: list[tuple[Column, Callable[[FlowView], Any]]] = [
    (Column("N.", Kind.INTEGER, width=8), lambda f: f.id),
    (Column("Flusso", width=40), lambda f: f.name),
    (Column("Servizio", width=28), lambda f: f.service_name),
    (Column("Natura", width=24), lambda f: f.natura),
    (Column("Stato", width=16), lambda f: f.state.value),
    (Column("Rettifica", width=28), lambda f: link_label(f.corrects_flow_id, f.corrected_by)),
    (Column("Destinatari", Kind.INTEGER, width=11), lambda f: f.recipients_total),
    (Column("Creato il", Kind.DATETIME, width=17), lambda f: f.created_at),
    (Column("Attivato il", Kind.DATETIME, width=17), lambda f: f.activated_at),
    (Column("Invio iniziato il", Kind.DATETIME, width=17), lambda f: f.started_at),
    (Column("Concluso il", Kind.DATETIME, width=17), lambda f: f.finished_at),
    (Column("Autore", width=14), lambda f: f.created_by),
    (Column("File", width=30), lambda f: f.source_filename),
    (Column("Descrizione", width=40), lambda f: f.description),
]


def _batches(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _write(writer: XlsxWriter, fields: list[Field], batches: Iterable[Columns]) -> int:
    count = 0
    for columns in batches:
        writer.add_rows([compute(columns) for _, compute in fields])
        count += len(columns["id"])
    return count


def write_notifications(
    session: Session,
    actor: Actor,
    filters: NotificationFilters,
    target: IO[bytes],
    sort: Sort = NEWEST_FIRST,
) -> int:
    """The archive of notifications matching `filters`, every page of it; returns the rows."""
    with recording(
        session,
        actor,
        AuditAction.EXPORT_NOTIFICATIONS,
        "archivio delle notifiche",
        f"Filtri: {filters.describe(code_apart=True)}.",
        fiscal_code=searched_code(filters),  # in a column of its own: the purge's
    ) as entry:
        columns = [column for column, _ in NOTIFICATION_FIELDS]
        with XlsxWriter(target, "Notifiche", columns) as writer:
            batches = iter_columns(session, actor, filters, sort, size=BATCH)
            count = _write(writer, NOTIFICATION_FIELDS, batches)
            writer.add_info_sheet("Filtri", [("Filtri", filters.describe()), ("Notifiche", count)])
        entry.detail += f" {_rows(count)}."
        return count


def _rows(count: int) -> str:
    return "1 riga" if count == 1 else f"{thousands(count)} righe"


def write_flows(session: Session, actor: Actor, filters: FlowFilters, target: IO[bytes]) -> int:
    """The archive of flows matching `filters`; returns the rows."""
    with recording(session, actor, AuditAction.EXPORT_FLOWS, "archivio dei flussi") as entry:
        entry.detail = f"Filtri: {filters.describe()}."
        with XlsxWriter(target, "Flussi", [column for column, _ in FLOW_FIELDS]) as writer:
            count = 0
            for flows in _batches(iter_flows(session, actor, filters)):
                writer.add_rows([[get(flow) for flow in flows] for _, get in FLOW_FIELDS])
                count += len(flows)
            writer.add_info_sheet("Filtri", [("Filtri", filters.describe()), ("Flussi", count)])
        entry.detail += f" {_rows(count)}."
        return count


def _file_headers(session: Session, flow_id: int, taken: set[str]) -> list[tuple[str, str]]:
    """(key in the row's JSON, header in the workbook) for the file's own columns: a file
    column named like one of ours is kept apart as «… (dal file)»."""
    first = session.scalar(
        select(Notification.extra)
        .where(Notification.flow_id == flow_id, Notification.purged_at.is_(None))
        .limit(1)
    )
    headers = []
    for key in json.loads(first or "{}"):
        shown = key if key.casefold() not in taken else f"{key} (dal file)"
        taken.add(shown.casefold())
        headers.append((key, shown))
    return headers


def write_flow_recipients(session: Session, actor: Actor, flow_id: int, target: IO[bytes]) -> int:
    """A flow's recipients with their outcomes and the file's own columns; returns the rows."""
    with recording(
        session, actor, AuditAction.EXPORT_FLOW_RECIPIENTS, f"flusso n. {flow_id}"
    ) as entry:
        view: FlowView = get_flow(session, actor, flow_id)  # checks the read permission
        entry.target = f"flusso n. {view.id} «{view.name}»"
        count = _write_recipients(session, actor, view, target)
        entry.detail = f"{_rows(count)}."
        return count


def _write_recipients(session: Session, actor: Actor, view: FlowView, target: IO[bytes]) -> int:
    flow_id = view.id
    taken = {column.header.casefold() for column, _ in RECIPIENT_FIELDS}
    extra = _file_headers(session, flow_id, taken)
    fields: list[Field] = [
        *RECIPIENT_FIELDS,
        *((Column(shown, width=16), _file_column(key)) for key, shown in extra),
    ]
    filters = NotificationFilters(flow=str(flow_id))
    batches = _parsed_extra(
        iter_columns(session, actor, filters, Sort(SortKey.ROW, descending=False), with_extra=True)
    )
    with XlsxWriter(target, "Destinatari", [column for column, _ in fields]) as writer:
        count = _write(writer, fields, batches)
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


def _parsed_extra(batches: Iterable[Columns]) -> Iterator[Columns]:
    for columns in batches:
        columns["extra"] = [json.loads(extra or "{}") for extra in columns["extra"]]
        yield columns


def _file_column(key: str) -> Callable[[Columns], list[Any]]:
    return lambda c: [values.get(key) for values in c["extra"]]


AUDIT_FIELDS: list[Field] = [
    (Column("N.", Kind.INTEGER, width=10), _same("id")),
    (Column("Quando", Kind.DATETIME, width=17), _same("at")),
    (Column("Operatore", width=16), _same("operator")),
    (Column("Azione", width=36), lambda c: [action_label(a) for a in c["action"]]),
    (Column("Codice azione", width=24), _same("action")),
    (Column("Oggetto", width=40), _same("target")),
    (Column("Esito", width=12), _same("outcome")),
    (Column("Dettaglio", width=80), _same("detail")),
    (Column("Provenienza", width=30), _same("origin")),
    (Column("Codice fiscale", width=18), _same("fiscal_code")),
]


def write_audit(session: Session, actor: Actor, filters: AuditFilters, target: IO[bytes]) -> int:
    """The audit log's entries matching `filters`, newest first; returns the rows. The
    export itself is an entry (written after the rows: not in the workbook)."""
    with recording(session, actor, AuditAction.EXPORT_AUDIT, "registro attività") as entry:
        entry.detail = f"Filtri: {filters.describe()}."
        columns = [column for column, _ in AUDIT_FIELDS]
        with XlsxWriter(target, "Registro attività", columns) as writer:
            count = _write(writer, AUDIT_FIELDS, iter_audit_columns(session, actor, filters))
            writer.add_info_sheet("Filtri", [("Filtri", filters.describe()), ("Voci", count)])
        entry.detail += f" {_rows(count)}."
        return count
