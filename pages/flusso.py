"""Dettaglio flusso: natura, state, progress, the operator's actions and every recipient."""

from __future__ import annotations

import streamlit as st

from appio_core.domain import NEGATIVE_OUTCOMES, POSITIVE_OUTCOMES, FlowState, Outcome
from appio_core.errors import AppError
from appio_core.flows.queries import get_flow
from appio_core.storage.models import Flow
from appio_ui.auth import requested_id, require_actor
from appio_ui.feedback import show_flash
from appio_ui.flow_actions import action_bar
from appio_ui.format import local_time
from appio_ui.recipients_view import recipients_section
from appio_ui.runtime import transaction

actor = require_actor()
flow_id = requested_id("flusso", "flow_id")
if flow_id is None:
    st.info("Scegli un flusso dalla pagina Flussi.")
    st.page_link("pages/flussi.py", label="Vai ai Flussi", icon=":material/list:")
    st.stop()

try:
    with transaction() as session:
        view = get_flow(session, actor, flow_id)
        note = session.get(Flow, flow_id).dispatcher_note  # type: ignore[union-attr]
except AppError as exc:
    st.error(exc.message)
    st.stop()

st.title(f"Flusso n. {view.id} – {view.name}")
show_flash()
st.caption(
    f"Servizio **{view.service_name}** · Natura **{view.natura}** · Stato **{view.state.value}**"
    f" · File {view.source_filename} · Creato da {view.created_by} il "
    f"{local_time(view.created_at)}"
)
if view.description:
    st.write(view.description)
if note and view.state == FlowState.PAUSED:
    st.warning(note)
if view.scheduled_at and view.state in (FlowState.ACTIVE, FlowState.SENDING):
    st.info(f"Invio programmato per il {local_time(view.scheduled_at)}.")


@st.fragment(run_every=3 if view.state == FlowState.SENDING else None)
def progress() -> None:
    with transaction() as session:
        live = get_flow(session, actor, view.id)
    if live.state != view.state:
        st.rerun(scope="app")  # finished or paused: the buttons change too
    total = max(live.recipients_total, 1)
    reached = sum(n for o, n in live.counts.items() if o in POSITIVE_OUTCOMES)
    negative = sum(n for o, n in live.counts.items() if o in NEGATIVE_OUTCOMES)
    waiting = live.counts.get(Outcome.PENDING, 0) + live.counts.get(Outcome.SENDING, 0)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Destinatari", live.recipients_total)
    c2.metric("Raggiunti", reached)
    c3.metric("Esiti negativi", negative)
    c4.metric("Da inviare", waiting)
    st.progress(
        (reached + negative) / total,
        text=" · ".join(
            f"{o.value}: {n}"
            for o, n in sorted(live.counts.items(), key=lambda i: list(Outcome).index(i[0]))
        ),
    )


progress()
action_bar(actor, view)

st.subheader("Destinatari")
recipients_section(actor, view.id)
