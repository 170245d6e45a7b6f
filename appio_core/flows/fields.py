"""The rules of a flow's own fields, written once for its import and its editing: the name,
the natura, and that only a flow in preparation («Inattivo») changes, or one waiting for
approval (the change takes the request away: appio_core.flows.approval)."""

from __future__ import annotations

from appio_core.domain import FlowState, Natura
from appio_core.errors import Conflict, InvalidInput
from appio_core.storage.models import Flow

NAME_LENGTH = Flow.name.type.length  # the column's, so that no name fails in the database
EDITABLE = frozenset({FlowState.INACTIVE, FlowState.AWAITING_APPROVAL})


def check_name(name: str) -> str:
    """The name without surrounding spaces, or InvalidInput."""
    name = name.strip()
    if not name:
        raise InvalidInput("Indica il nome del flusso.")
    if len(name) > NAME_LENGTH:
        raise InvalidInput(
            f"Il nome del flusso è troppo lungo: ha {len(name)} caratteri, al massimo"
            f" {NAME_LENGTH}: accorcialo."
        )
    return name


def check_natura(natura: str) -> str:
    if natura not in {n.value for n in Natura}:
        choices = ", ".join(n.value for n in Natura)
        raise InvalidInput(f"Natura «{natura}» sconosciuta: scegli tra {choices}.")
    return natura


def is_editable(state: FlowState) -> bool:
    """Whether a flow in this state may change (details, templates, the recipient file)."""
    return state in EDITABLE


def require_editable(flow: Flow) -> None:
    state = FlowState(flow.state)
    if not is_editable(state):
        raise Conflict(
            f"Il flusso è «{state.value}»: si può modificare solo un flusso «Inattivo»."
            + (" Usa prima «Riporta in preparazione»." if state == FlowState.ACTIVE else "")
        )
