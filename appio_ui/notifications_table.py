"""The notifications grids: the archive's and a flow's recipients, paged and sorted by the
database; a double click (or «Apri» on the selected row) opens the notification."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from appio_core.accounts.permissions import Actor
from appio_core.content.correction import link_label
from appio_core.domain import Outcome
from appio_core.italian import local_time
from appio_core.notifications import labels
from appio_core.notifications.archive import (
    NotificationFilters,
    NotificationRow,
    Sort,
    SortKey,
    search,
)
from appio_core.paging import Page
from appio_ui.archive_table import ArchiveTable, show_table
from appio_ui.reads import first_showing
from appio_ui.runtime import transaction

NOTIFICATION_PAGE = "pages/notifica.py"

ARCHIVE_LABELS = {
    "id": "N.",
    "sent_at": "Inviata il",
    "service_name": "Servizio",
    "fiscal_code": "Codice fiscale",
    "subject": "Oggetto",
    "outcome": "Esito",
    "io_status": "Stato su IO",
    "email_status": "Stato Mail",
    "flow": "Flusso",
    "correction": "Rettifica",
    "created_by": "Autore",
}
RECIPIENT_LABELS = {
    "row_number": "Riga",
    "fiscal_code": "Codice fiscale",
    "outcome": "Esito",
    "error_detail": "Dettaglio",
    "io_message_id": "ID messaggio IO",
    "io_status": "Stato su IO",
    "email_status": "Stato Mail",
    "attempts": "Tentativi",
    "sent_at": "Inviata il",
}
SORTABLE = {
    "id": SortKey.ID,
    "sent_at": SortKey.SENT_AT,
    "fiscal_code": SortKey.FISCAL_CODE,
    "service_name": SortKey.SERVICE,
    "outcome": SortKey.OUTCOME,
    "subject": SortKey.SUBJECT,
    "created_by": SortKey.AUTHOR,
    "row_number": SortKey.ROW,
}
WIDTHS = {"subject": 260, "error_detail": 260, "correction": 170}
# Never wrapped: what an operator reads or copies whole.
WHOLE = frozenset({"row_number", "fiscal_code", "io_message_id"})
# Free text, wrapped to fit; the others (outcome, statuses, dates, service, author) are
# short labels on one line.
WRAP = frozenset({"subject", "flow", "error_detail", "correction"})


def frame(rows: list[NotificationRow]) -> pd.DataFrame:
    """The grid's rows: what the operator reads, IO's codes as Italian labels."""
    return pd.DataFrame(
        {
            "id": [r.id for r in rows],
            "row_number": [r.row_number for r in rows],
            "sent_at": [_sent(r) for r in rows],
            "service_name": [r.service_name for r in rows],
            "fiscal_code": [r.fiscal_code for r in rows],
            "subject": [r.subject for r in rows],
            "outcome": [r.outcome.value for r in rows],
            "error_detail": [r.error_detail or "" for r in rows],
            "io_message_id": [r.io_message_id or "" for r in rows],
            "io_status": [
                labels.io_status_label(r.io_status, r.io_message_id is not None) for r in rows
            ],
            "email_status": [
                labels.email_status_label(r.email_status, r.io_message_id is not None)
                for r in rows
            ],
            "attempts": [r.attempts for r in rows],
            "flow": [f"n. {r.flow_id} – {r.flow_name}" if r.flow_id else "singola" for r in rows],
            "created_by": [r.created_by for r in rows],
            "correction": [link_label(r.corrects_notification_id, r.corrected_by) for r in rows],
        },
        columns=[
            "id", "row_number", "sent_at", "service_name", "fiscal_code", "subject", "outcome",
            "error_detail", "io_message_id", "io_status", "email_status", "attempts", "flow",
            "correction", "created_by",
        ],
    )  # fmt: skip


def _sent(row: NotificationRow) -> str:
    """When it was sent; for a row waiting for its file's send date, when it will be."""
    if row.outcome == Outcome.PENDING and row.send_after is not None:
        return f"programmata: {local_time(row.send_after)}"
    return local_time(row.sent_at)


def open_notification(notification_id: int) -> None:
    st.switch_page(NOTIFICATION_PAGE, query_params={"notifica": str(notification_id)})


def _table(
    key: str,
    labels: dict[str, str],
    default: tuple[SortKey, bool],
    noun: tuple[str, str],
    pinned: tuple[str, ...],
) -> ArchiveTable[SortKey, NotificationRow]:
    return ArchiveTable(
        key=key,
        labels=labels,
        sortable={c: k for c, k in SORTABLE.items() if c in labels},
        default_sort=default,
        noun=noun,
        to_frame=frame,
        open=open_notification,
        open_label="Apri la notifica n. {id}",
        widths=WIDTHS,
        whole=WHOLE,
        wrap=WRAP,
        pinned=pinned,
    )


ARCHIVE = _table(
    "notifications_grid", ARCHIVE_LABELS, (SortKey.ID, True), ("notifica", "notifiche"), ("id",)
)


def recipients_table(flow_id: int) -> ArchiveTable[SortKey, NotificationRow]:
    return _table(
        f"recipients_grid_{flow_id}",
        RECIPIENT_LABELS,
        (SortKey.ROW, False),
        ("destinatario", "destinatari"),
        ("row_number", "fiscal_code"),
    )


def show_notifications(
    actor: Actor,
    filters: NotificationFilters,
    table: ArchiveTable[SortKey, NotificationRow],
    footer: Callable[[], None] | None = None,
    *,
    shown_on: str,
) -> None:
    """`shown_on`: the page's url_path. A search by codice fiscale is recorded once, when
    these filters are new on it (not for another page of the grid nor another order)."""
    new_search = first_showing(shown_on, filters)

    def fetch(key: SortKey, descending: bool, page: int, size: int) -> Page[NotificationRow]:
        with transaction() as session:
            return search(
                session,
                actor,
                filters,
                sort=Sort(key, descending),
                page=page,
                page_size=size,
                record=new_search,
            )

    show_table(table, fetch, footer)
