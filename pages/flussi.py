"""Flussi: the archive of bulk-sending flows, searched with filters («Elenca»)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from appio_core.accounts.services import list_services
from appio_core.domain import FlowState, Natura
from appio_core.errors import AppError
from appio_core.flows.queries import FlowFilters
from appio_core.italian import ROME, parse_day
from appio_ui.auth import require_actor
from appio_ui.exports import flows_download
from appio_ui.feedback import show_flash
from appio_ui.flows_table import FLOWS, show_flows
from appio_ui.runtime import transaction

ALL = "Tutti"
FILTERS_KEY = "flows_filters"

actor = require_actor()
st.title("Flussi")
show_flash()

with transaction() as session:
    services = {s.name: s.id for s in list_services(session, actor)}

with st.form("filters"):
    c1, c2, c3 = st.columns(3)
    text = c1.text_input("Nome o descrizione contiene", key="ff_text")
    state = c2.selectbox("Stato", [ALL, *(s.value for s in FlowState)], key="ff_state")
    natura = c3.selectbox("Natura", [ALL, *(n.value for n in Natura)], key="ff_natura")
    c4, c5, c6 = st.columns(3)
    service = c4.selectbox("Servizio", [ALL, *services], key="ff_service")
    since = c5.text_input("Creati dal", placeholder="gg/mm/aaaa", key="ff_since")
    until = c6.text_input("Creati fino al", placeholder="gg/mm/aaaa", key="ff_until")
    only_corrections = st.checkbox(
        "Solo rettifiche", key="ff_corrections", help="I flussi che rettificano un altro flusso."
    )
    submitted = st.form_submit_button("Elenca", type="primary", icon=":material/search:")


def _midnight(day: dt.date | None, days: int = 0) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), tzinfo=ROME)


if submitted:
    try:
        st.session_state[FILTERS_KEY] = FlowFilters(
            text=text,
            state=None if state == ALL else FlowState(state),
            natura=None if natura == ALL else natura,
            service_id=None if service == ALL else services[service],
            created_from=_midnight(parse_day(since, "La data «Creati dal»")),
            created_to=_midnight(parse_day(until, "La data «Creati fino al»"), days=1),
            only_corrections=only_corrections,
        )
        FLOWS.reset()
    except AppError as exc:
        st.error(exc.message)
filters: FlowFilters = st.session_state.get(FILTERS_KEY, FlowFilters())
show_flows(actor, filters, footer=lambda: flows_download(actor, filters))
