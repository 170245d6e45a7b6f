"""The flow states: every registered action is run from every state, and what it does is
compared with its registry entry (its guard and the states it may leave) and with the
transition table; the table must hold exactly the moves the code makes."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.domain import FLOW_TRANSITIONS, ApprovalPolicy, FlowState, Outcome, can_move
from appio_core.errors import Conflict
from appio_core.flows import actions
from appio_core.flows.registry import BY_NAME, FLOW_ACTIONS, FlowAction
from appio_core.storage.models import Flow, Notification, Service

# The recipients' outcomes a flow may have when an action runs on it.
ROWS: dict[str, tuple[Outcome, ...]] = {
    "one uncertain": (Outcome.ACCEPTED, Outcome.ACCEPTED, Outcome.UNCERTAIN),
    "uncertain and a temporary failure": (Outcome.ACCEPTED, Outcome.UNCERTAIN, Outcome.ERROR),
    "some still to send": (Outcome.PENDING, Outcome.UNCERTAIN, Outcome.ERROR),
    "all reached": (Outcome.ACCEPTED, Outcome.DELIVERED, Outcome.ACCEPTED),
    "one rejected": (Outcome.ACCEPTED, Outcome.ACCEPTED, Outcome.REJECTED),
}
_files = itertools.count()
# Not the actor of these tests: he may approve what this author asked for.
AUTHOR = "autore"


def _flow(
    session: Session, service_id: int, state: FlowState, outcomes: tuple[Outcome, ...]
) -> Flow:
    number = next(_files)
    flow = Flow(
        name=f"Flusso {number}",
        natura="Comunicazione",
        service_id=service_id,
        created_by=AUTHOR,
        approval_requested_by=AUTHOR if state == FlowState.AWAITING_APPROVAL else None,
        state=state,
        source_filename="destinatari.csv",
        source_checksum=f"{number:064x}",  # a file of its own: «Invia» never asks to confirm
        recipients_total=len(outcomes),
    )
    session.add(flow)
    session.flush()
    for row, outcome in enumerate(outcomes, start=2):
        session.add(
            Notification(
                flow_id=flow.id,
                service_id=service_id,
                row_number=row,
                created_by="appio-cli",
                fiscal_code=f"RSSMRA80A01H50{row}X",
                subject="Avviso per Cittadino",
                markdown="Gentile cittadino, " * 5,
                outcome=outcome,
                retryable=outcome == Outcome.ERROR,  # a temporary failure: «reinvia falliti»
            )
        )
    session.flush()
    return flow


def _run(session: Session, act: Callable[[Flow], object], flow: Flow) -> str | None:
    """The refusal's message, or None; a refused call leaves nothing behind, as a page's
    transaction would."""
    try:
        with session.begin_nested():
            act(flow)
    except Conflict as refused:
        return refused.message
    return None


def _cases(
    session: Session, service_id: int, act: Callable[[Flow], object]
) -> Iterator[tuple[FlowState, str, str | None, FlowState]]:
    """(state before, rows, refusal or None, state after) of `act` from every state."""
    for state, (rows, outcomes) in itertools.product(FlowState, ROWS.items()):
        flow = _flow(session, service_id, state, outcomes)
        refused = _run(session, act, flow)
        session.refresh(flow)
        yield state, rows, refused, FlowState(flow.state)


def _action_cases(
    session: Session, actor: Actor, service_id: int, action: FlowAction
) -> Iterator[tuple[FlowState, str, str | None, FlowState]]:
    def act(flow: Flow) -> object:
        ids = [n.id for n in session.query(Notification).filter_by(flow_id=flow.id)]
        return actions.perform(
            session, actor, action, flow.id, recipient_ids=ids, note="Manca la data."
        )

    return _cases(session, service_id, act)


@pytest.mark.parametrize("action", FLOW_ACTIONS, ids=[a.name for a in FLOW_ACTIONS])
def test_each_action_runs_only_from_its_states_and_moves_as_the_registry_says(
    session: Session, operator: Actor, demo: dict[str, int], action: FlowAction
) -> None:
    worked_from: set[FlowState] = set()
    for state, rows, refused, after in _action_cases(
        session, operator, demo["Tributi - TARI"], action
    ):
        case = (action.name, state.value, rows, refused)
        if not action.allows(state):
            assert refused is not None and refused.startswith(
                f"Il flusso è «{state.value}»: «{action.label}» è possibile solo per"
            ), case
            assert after == state, case
        elif refused is None:
            worked_from.add(state)
            assert after in action.moves[state], (*case, after)
        else:  # refused for its rows (none uncertain, no temporary failure), not its state
            assert not refused.startswith("Il flusso è"), case
            assert after == state, case
    assert worked_from == set(action.moves)


def test_the_transition_table_holds_exactly_the_moves_of_the_actions_and_the_dispatcher(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    service_id = demo["Tributi - TARI"]
    moves: set[tuple[FlowState, FlowState]] = set()
    for action in FLOW_ACTIONS:
        for state, _, refused, after in _action_cases(session, operator, service_id, action):
            if refused is None and after != state:
                moves.add((state, after))
    # «Invia» on a service whose flows wait for a second operator's approval.
    held = session.get(Service, demo["Servizi scolastici - Mensa"])
    assert held is not None
    held.approval_policy = ApprovalPolicy.ALWAYS
    for state, _, refused, after in _action_cases(session, operator, held.id, BY_NAME["send"]):
        if refused is None and after != state:
            moves.add((state, after))
    # The dispatcher's own moves: a flow whose rows are all final finishes, a status read
    # that brings a rejection makes a sent flow incomplete.
    for state, _, refused, after in _cases(
        session, service_id, lambda flow: actions.refresh_state(session, flow)
    ):
        assert refused is None
        if after != state:
            moves.add((state, after))
    assert moves == FLOW_TRANSITIONS
    assert all(can_move(source, target) for source, target in moves)


def test_every_registered_action_has_its_function_and_every_function_its_entry() -> None:
    assert actions.registered() == {a.name for a in FLOW_ACTIONS}
    for action in FLOW_ACTIONS:
        assert callable(getattr(actions, action.name))
