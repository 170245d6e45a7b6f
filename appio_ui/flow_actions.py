"""The operator's buttons on a flow: one for each action of the registry
(appio_core.flows.registry) that the flow's state allows."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from appio_core.accounts.permissions import Actor
from appio_core.errors import AppError
from appio_core.flows.actions import Done, perform
from appio_core.flows.confirmations import ConfirmationNeeded
from appio_core.flows.queries import FlowView
from appio_core.flows.registry import FLOW_ACTIONS, FlowAction
from appio_ui.attempt import attempt, show_refusal

COLUMNS = 4


def action_bar(actor: Actor, view: FlowView) -> None:
    if not actor.can_send:
        return
    offered = [action for action in FLOW_ACTIONS if action.on_bar(view)]
    columns = st.columns(COLUMNS)
    # Those that ask for a confirmation (cancel) stay at the right, away from the others.
    plain = [a for a in offered if a.confirmation is None]
    confirmed = [a for a in offered if a.confirmation is not None]
    for column, action in zip(columns, plain, strict=False):
        _button(actor, view, action, column)
    for column, action in zip(reversed(columns), reversed(confirmed), strict=False):
        _confirmed_button(actor, view, action, column)


def _confirm_key(view: FlowView, action: FlowAction) -> str:
    return f"confirm_{action.name}_{view.id}"


def _button(actor: Actor, view: FlowView, action: FlowAction, column: DeltaGenerator) -> None:
    force = False
    if action.reconfirm and (warning := st.session_state.get(_confirm_key(view, action))):
        st.warning(warning)
        force = st.checkbox(action.reconfirm, key=f"{action.name}_confirmed")
    primary = action.confirmable  # the flow's main step (Invia)
    if column.button(
        action.label,
        icon=action.icon,
        key=f"action_{action.label}",
        type="primary" if primary else "secondary",
    ):
        _submit(actor, view, action, force=force)


def _confirmed_button(
    actor: Actor, view: FlowView, action: FlowAction, column: DeltaGenerator
) -> None:
    with column.popover(action.label, icon=action.icon):
        st.write(action.confirmation)
        if st.button("Conferma", type="primary", key=f"action_{action.label}"):
            _submit(actor, view, action)


def _submit(actor: Actor, view: FlowView, action: FlowAction, *, force: bool = False) -> None:
    confirm_key = _confirm_key(view, action)

    def refused(error: AppError) -> None:
        if isinstance(error, ConfirmationNeeded) and action.confirmable:
            st.session_state[confirm_key] = error.message  # asked above the button
            st.rerun()
        show_refusal(error)

    def done(result: Done) -> str:
        st.session_state.pop(confirm_key, None)
        return action.success_in(result.state)

    attempt(
        lambda session: perform(session, actor, action, view.id, force=force),
        success=done,
        refused=refused,
    )
