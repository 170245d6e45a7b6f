"""A flow's recipients: filters, the paged grid (double click opens the notification), and
«Esporta Excel» of every recipient with the file's own columns."""

from __future__ import annotations

import streamlit as st

from appio_core.accounts.permissions import Actor
from appio_core.domain import Outcome
from appio_core.notifications.archive import NotificationFilters
from appio_ui.exports import flow_recipients_download
from appio_ui.notifications_table import recipients_table, show_notifications

ALL = "Tutti"


def recipients_section(actor: Actor, flow_id: int) -> None:
    table = recipients_table(flow_id)
    c1, c2 = st.columns(2)
    outcome = c1.selectbox(
        "Esito", [ALL, *(o.value for o in Outcome)], key="outcome_filter", on_change=table.reset
    )
    code = c2.text_input("Codice fiscale", key="cf_filter", on_change=table.reset, max_chars=16)
    filters = NotificationFilters(
        flow=str(flow_id),
        outcome=None if outcome == ALL else Outcome(outcome),
        fiscal_code=code,
    )
    show_notifications(
        actor,
        filters,
        table,
        footer=lambda: flow_recipients_download(actor, flow_id),
        shown_on="flusso",
    )
