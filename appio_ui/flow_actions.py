"""The operator's buttons on a flow, by state; each one calls one core action."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.domain import FlowState
from appio_core.errors import AppError
from appio_core.flows import actions
from appio_core.flows.queries import FlowView
from appio_ui.feedback import flash_and_rerun
from appio_ui.runtime import transaction

Action = Callable[[Session, Actor, int], object]

# (label, icon, action, message) for each state; cancel is added for unfinished flows.
BUTTONS: dict[FlowState, list[tuple[str, str, Action, str]]] = {
    FlowState.INACTIVE: [
        (
            "Attiva",
            ":material/check_circle:",
            actions.activate,
            "Flusso attivato: è pronto per l'invio.",
        )
    ],
    FlowState.ACTIVE: [
        (
            "Riporta in preparazione",
            ":material/edit:",
            actions.deactivate,
            "Flusso di nuovo Inattivo: puoi sostituire il file.",
        ),
    ],
    FlowState.SENDING: [("Sospendi", ":material/pause:", actions.pause, "Invio sospeso.")],
    FlowState.PAUSED: [
        (
            "Riprendi",
            ":material/play_arrow:",
            actions.resume,
            "Invio ripreso: nessun messaggio già inviato sarà ripetuto.",
        )
    ],
    FlowState.INCOMPLETE: [
        (
            "Reinvia falliti",
            ":material/replay:",
            actions.retry_failed,
            "I destinatari falliti per errori temporanei saranno reinviati.",
        )
    ],
}
CANCELLABLE = {FlowState.INACTIVE, FlowState.ACTIVE, FlowState.SENDING, FlowState.PAUSED}


def _run(actor: Actor, action: Action, flow_id: int, message: str) -> None:
    try:
        with transaction() as session:
            action(session, actor, flow_id)
    except AppError as exc:
        st.error(exc.message)
    else:
        flash_and_rerun(message)


def action_bar(actor: Actor, view: FlowView) -> None:
    if not actor.can_send:
        return
    buttons = list(BUTTONS.get(view.state, []))
    if view.state == FlowState.INCOMPLETE and not view.retryable_failures:
        buttons = []  # every failure is final: nothing that «reinvia falliti» could fix
    columns = st.columns(4)
    for column, (label, icon, action, message) in zip(columns, buttons, strict=False):
        if column.button(label, icon=icon, key=f"action_{label}"):
            _run(actor, action, view.id, message)
    if view.state == FlowState.ACTIVE:
        _send_button(actor, view, columns[1])
    if view.state in CANCELLABLE:
        with columns[3].popover("Annulla flusso", icon=":material/cancel:"):
            st.write(
                "Il flusso sarà fermato per sempre. I messaggi già inviati restano inviati "
                "e non si possono ritirare."
            )
            if st.button("Conferma l'annullamento", type="primary"):
                _run(actor, actions.cancel, view.id, "Flusso annullato.")


def _send_button(actor: Actor, view: FlowView, column: st.delta_generator.DeltaGenerator) -> None:
    confirm_key = f"confirm_same_file_{view.id}"
    force = False
    if warning := st.session_state.get(confirm_key):
        st.warning(warning)
        force = st.checkbox("Confermo: invia di nuovo questo file", key=f"{confirm_key}_box")
    if not column.button("Invia", type="primary", icon=":material/send:"):
        return
    try:
        with transaction() as session:
            actions.send(session, actor, view.id, force=force)
    except actions.SameFileSentToday as exc:
        st.session_state[confirm_key] = exc.message
        st.rerun()
    except AppError as exc:
        st.error(exc.message)
    else:
        st.session_state.pop(confirm_key, None)
        flash_and_rerun("Invio avviato: i messaggi partono al ritmo consentito da IO.")
