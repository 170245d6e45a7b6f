"""Dettaglio flusso: natura, state, progress, the operator's actions and every recipient."""

from __future__ import annotations

import streamlit as st

from appio_core.domain import FlowState
from appio_core.flows.outcomes import send_pace, state_meaning
from appio_core.flows.queries import FlowView, get_flow, scheduled_rows
from appio_core.italian import local_time
from appio_core.notifications.trial import TRIAL_STATES, send_flow_trial
from appio_core.templates.store import flow_as_template
from appio_ui.approval_view import approval_notes
from appio_ui.attempt import attempt
from appio_ui.auth import requested_id, require_actor
from appio_ui.corrections import flow_correction_section, flow_links
from appio_ui.cta_fields import summary
from appio_ui.feedback import show_flash
from appio_ui.flow_actions import action_bar
from appio_ui.flow_edit import edit_section
from appio_ui.links import FLOW_ALIASES, accept_aliases, share_link
from appio_ui.outcome_chart import outcome_chart
from appio_ui.recipients_view import recipients_section
from appio_ui.runtime import transaction
from appio_ui.template_use import save_as_template, used_caption
from appio_ui.trial_send import trial_button

actor = require_actor()
accept_aliases("flusso", FLOW_ALIASES)
flow_id = requested_id("flusso", "flow_id")
if flow_id is None:
    st.info("Scegli un flusso dalla pagina Flussi.")
    st.page_link("pages/flussi.py", label="Vai ai Flussi", icon=":material/list:")
    st.stop()

chosen: int = flow_id
found = attempt(lambda session: get_flow(session, actor, chosen))
if found is None:
    st.stop()
view: FlowView = found

st.title(f"Flusso n. {view.id} – {view.name}")
show_flash()
st.caption(
    f"Servizio **{view.service_name}** · Natura **{view.natura}** · Stato **{view.state.value}**"
    f" · File {view.source_filename} · Creato da {view.created_by} il "
    f"{local_time(view.created_at)}"
)
used_caption(view.template)
share_link("flusso", "flusso", view.id)
flow_links(view)
if view.description:
    st.write(view.description)
summary(view.buttons, view.secure_channel)
if view.dispatcher_note and view.state == FlowState.PAUSED:
    st.warning(view.dispatcher_note)
approval_notes(view)
if view.scheduled_at and view.state in (
    FlowState.ACTIVE,
    FlowState.AWAITING_APPROVAL,
    FlowState.SENDING,
):
    st.info(f"Invio programmato per il {local_time(view.scheduled_at)}.")


UNFINISHED = (
    FlowState.INACTIVE,
    FlowState.ACTIVE,
    FlowState.AWAITING_APPROVAL,
    FlowState.SENDING,
    FlowState.PAUSED,
)


@st.fragment(run_every=3 if view.state == FlowState.SENDING else None)
def progress() -> None:
    with transaction() as session:
        live = get_flow(session, actor, view.id)
    if live.state != view.state:
        st.rerun(scope="app")  # finished or paused: the buttons change too
    figures = live.progress
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Destinatari", figures.total)
    c2.metric("Raggiunti", figures.reached)
    c3.metric("Esiti negativi", figures.negative)
    c4.metric("Da inviare", figures.waiting)
    outcome_chart(figures)
    waiting_for_date = 0
    if figures.waiting and live.state in UNFINISHED:
        with transaction() as session:
            scheduled = scheduled_rows(session, live.id)
        waiting_for_date = scheduled.count
        if scheduled.count:
            st.info(scheduled.describe(), icon=":material/schedule:")
    if live.state == FlowState.SENDING:
        with transaction() as session:
            # Rows waiting for their own send date are not part of the time left.
            now_left = figures.waiting - waiting_for_date
            pace = send_pace(session, live.id, now_left, live.started_at)
        st.caption(f"Ritmo di invio: {pace.describe()}")
    meaning = state_meaning(live.state, figures, live.retryable_failures)
    if meaning:
        (st.info if live.state == FlowState.INCOMPLETE else st.success)(meaning)


progress()
action_bar(actor, view)
if actor.can_send and view.state in TRIAL_STATES:
    trial_button(
        f"trial_{view.id}",
        lambda sessions, box, base_url: send_flow_trial(sessions, actor, view.id, box, base_url),
    )
edit_section(actor, view)
if actor.can_send and view.subject_template and view.text_template:
    save_as_template(
        f"flow_template_{view.id}",
        lambda session, name, _natura: flow_as_template(session, actor, view.id, name),
        natura=view.natura,
    )
flow_correction_section(actor, view)

st.subheader("Destinatari")
recipients_section(actor, view.id)
