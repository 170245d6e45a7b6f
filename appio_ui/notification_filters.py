"""The archive's filters («Elenca»): what the operator typed, kept across reruns, turned
into the core's NotificationFilters."""

from __future__ import annotations

import streamlit as st

from appio_core.domain import Outcome
from appio_core.errors import AppError
from appio_core.italian import parse_day
from appio_core.notifications.archive import NotificationFilters
from appio_core.notifications.labels import IO_STATUS_LABELS

ALL = "Tutti"
NOT_READ = "Non ancora letto da IO"
FILTERS_KEY = "notifications_filters"


def notification_filters(services: dict[str, int]) -> NotificationFilters | None:
    """The form; returns new filters when «Elenca» was pressed with valid ones."""
    with st.form("notification_filters"):
        c1, c2, c3 = st.columns(3)
        service = c1.selectbox("Servizio", [ALL, *services], key="nf_service")
        fiscal_code = c2.text_input("Codice fiscale", key="nf_cf", max_chars=16)
        flow = c3.text_input(
            "Flusso", key="nf_flow", help="Il numero del flusso, oppure parole del suo nome."
        )
        c4, c5, c6 = st.columns(3)
        outcome = c4.selectbox("Esito", [ALL, *(o.value for o in Outcome)], key="nf_outcome")
        io_status = c5.selectbox(
            "Stato su IO", [ALL, *IO_STATUS_LABELS.values(), NOT_READ], key="nf_io_status"
        )
        subject = c6.text_input("Oggetto contiene", key="nf_subject")
        c7, c8, c9 = st.columns(3)
        sent_from = c7.text_input("Inviata dal", key="nf_from", placeholder="gg/mm/aaaa")
        sent_to = c8.text_input("Inviata al", key="nf_to", placeholder="gg/mm/aaaa")
        author = c9.text_input("Autore", key="nf_author", help="Il nome utente dell'operatore.")
        c10, c11 = st.columns([2, 1])
        message_id = c10.text_input("ID messaggio IO", key="nf_message_id")
        only_single = c11.checkbox("Solo notifiche singole", key="nf_single")
        only_corrections = c11.checkbox(
            "Solo rettifiche", key="nf_corrections", help="Le rettifiche di altre notifiche."
        )
        submitted = st.form_submit_button("Elenca", type="primary", icon=":material/search:")
    if not submitted:
        return None
    try:
        first = parse_day(sent_from, "La data «Inviata dal»")
        last = parse_day(sent_to, "La data «Inviata al»")
    except AppError as exc:
        st.error(exc.message)
        return None
    if first and last and first > last:
        st.error("La data «Inviata dal» viene dopo «Inviata al»: scambiale.")
        return None
    code_by_label = {label: code for code, label in IO_STATUS_LABELS.items()}
    return NotificationFilters(
        service_id=None if service == ALL else services[service],
        fiscal_code=fiscal_code,
        flow=flow,
        only_single=only_single,
        outcome=None if outcome == ALL else Outcome(outcome),
        io_status=None if io_status == ALL else code_by_label.get(io_status, ""),
        subject_contains=subject,
        io_message_id=message_id,
        sent_from=first,
        sent_to=last,
        author=author,
        only_corrections=only_corrections,
    )
