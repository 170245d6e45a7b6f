"""POST /api/v1/flows/{id}/<azione>: one route for each action of the flows' registry
(appio_core.flows.registry) that acts on the whole flow, run by the same
`actions.perform` as the pages' buttons and `appio flow <azione>`: the API, the pages and
the CLI cannot drift. The approval of another operator («Approva», «Respingi») and the
choices on single «esito incerto» rows stay with people.

A state that does not allow the action: 409 with the core's words. «Invia» of a file sent
today for the same service: 409, confirmed by repeating with ?force=true. «Invia» on a
service that wants a second operator's approval answers 200 with the flow «In attesa di
approvazione» and the CLI's words for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from appio_core.api.context import api_context, caller_with
from appio_core.api.flow_models import ActionOut
from appio_core.api.flows import FLOW_NOT_READABLE, FlowId, confirm_problem
from appio_core.api.problems import COMMON, responses
from appio_core.flows import actions, queries
from appio_core.flows.confirmations import ConfirmationNeeded
from appio_core.flows.registry import FLOW_ACTIONS, FlowAction
from appio_core.flows.status_data import flow_status_data
from appio_core.integrations.keys import Caller
from appio_core.integrations.scopes import Scope
from appio_core.storage.db import session_scope

router = APIRouter(tags=["Flussi"])

MANAGE = Annotated[Caller, Depends(caller_with(Scope.MANAGE_FLOWS))]


def offered_by_api(action: FlowAction) -> bool:
    """An action on the whole flow, which a system may take on its own."""
    return not action.on_recipients and not action.in_review


API_ACTIONS: tuple[FlowAction, ...] = tuple(a for a in FLOW_ACTIONS if offered_by_api(a))


def _run(request: Request, caller: Caller, action: FlowAction, flow_id: int, force: bool) -> Any:
    try:
        with session_scope(api_context(request).sessions) as session:
            done = actions.perform(session, caller.actor, action, flow_id, force=force)
            view = queries.get_flow(session, caller.actor, flow_id)
    except ConfirmationNeeded as exc:
        return confirm_problem(exc.message, "Ripeti la richiesta con ?force=true per confermare.")
    return ActionOut.model_validate(
        {
            "message": action.done_text(done.count or 0, done.state),
            "count": done.count,
            "flow": flow_status_data(view),
        }
    )


def _endpoint(action: FlowAction) -> Callable[..., Any]:
    if action.confirmable:
        # The description in the default, not the annotation: annotations are strings here,
        # read where the action's name is out of reach.
        asked = f"Conferma, quando richiesto (409): «{action.reconfirm}»."

        def confirmable(
            request: Request,
            caller: MANAGE,
            flow_id: FlowId,
            force: bool = Query(False, description=asked),
        ) -> Any:
            return _run(request, caller, action, flow_id, force)

        return confirmable

    def plain(request: Request, caller: MANAGE, flow_id: FlowId) -> Any:
        return _run(request, caller, action, flow_id, False)

    return plain


def _allowed_from(action: FlowAction) -> str:
    return ", ".join(f"«{state.value}»" for state in action.moves)


for _action in API_ACTIONS:
    router.add_api_route(
        f"/flows/{{flow_id}}/{_action.command}",
        _endpoint(_action),
        methods=["POST"],
        name=f"flow_{_action.name}",
        operation_id=f"flow_{_action.name}",
        summary=f"«{_action.label}»",
        description=f"{_action.help} Possibile da: {_allowed_from(_action)}.",
        response_model=ActionOut,
        responses=responses(*COMMON, *FLOW_NOT_READABLE, 409),
    )
