"""Flussi: the archive of bulk-sending flows, searched with filters («Elenca»)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from appio_core.accounts.services import list_services
from appio_core.domain import FlowState, Natura
from appio_core.flows.queries import FlowFilters, search_flows
from appio_core.italian import ROME
from appio_ui.auth import require_actor
from appio_ui.feedback import show_flash
from appio_ui.format import local_time
from appio_ui.grid import selectable_grid
from appio_ui.runtime import transaction

ALL = "Tutti"
LABELS = {
    "id": "N.",
    "name": "Flusso",
    "service_name": "Servizio",
    "natura": "Natura",
    "state": "Stato",
    "recipients_total": "Destinatari",
    "created_at": "Creato il",
    "created_by": "Autore",
    "source_filename": "File",
}

actor = require_actor()
st.title("Flussi")
show_flash()

with transaction() as session:
    services = {s.name: s.id for s in list_services(session, actor)}

with st.form("filters"):
    c1, c2, c3 = st.columns(3)
    text = c1.text_input("Nome o descrizione contiene")
    state = c2.selectbox("Stato", [ALL, *(s.value for s in FlowState)])
    natura = c3.selectbox("Natura", [ALL, *(n.value for n in Natura)])
    c4, c5, c6 = st.columns(3)
    service = c4.selectbox("Servizio", [ALL, *services])
    since = c5.date_input("Creati dal", value=None, format="DD/MM/YYYY")
    until = c6.date_input("Creati fino al", value=None, format="DD/MM/YYYY")
    st.form_submit_button("Elenca", type="primary", icon=":material/search:")


def _midnight(day: dt.date | None, days: int = 0) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), tzinfo=ROME)


filters = FlowFilters(
    text=text,
    state=None if state == ALL else FlowState(state),
    natura=None if natura == ALL else natura,
    service_id=None if service == ALL else services[service],
    created_from=_midnight(since),
    created_to=_midnight(until, days=1),
)
with transaction() as session:
    found = search_flows(session, actor, filters)

if not found:
    st.info("Nessun flusso corrisponde ai filtri.")
    st.stop()

frame = pd.DataFrame(
    {
        "id": [f.id for f in found],
        "name": [f.name for f in found],
        "service_name": [f.service_name for f in found],
        "natura": [f.natura for f in found],
        "state": [f.state.value for f in found],
        "recipients_total": [f.recipients_total for f in found],
        "created_at": [local_time(f.created_at) for f in found],
        "created_by": [f.created_by for f in found],
        "source_filename": [f.source_filename for f in found],
    }
)
st.caption(f"{len(found)} flussi. Seleziona una riga e apri il dettaglio.")
selected = selectable_grid(frame, "flows_grid", labels=LABELS, height=420)
if selected is not None and st.button(
    f"Apri il dettaglio del flusso n. {selected}", type="primary", icon=":material/open_in_new:"
):
    st.session_state["flow_id"] = selected
    st.switch_page("pages/flusso.py")
