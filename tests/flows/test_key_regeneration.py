"""«Rigenera chiavi» while a flow is being sent: IO refuses no message, none goes twice."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.key_regeneration import regenerate_keys
from appio_core.accounts.manage_key import set_manage_key
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import FlowState, Outcome
from appio_core.flows import actions, queries
from appio_core.io.manage import ManageClient
from appio_core.io.simulator import create_app, demo_config
from appio_core.io.simulator.demo import DEMO_MANAGE_KEY
from appio_core.sending.dispatcher import Dispatcher
from appio_core.storage.db import session_scope

from .conftest import TRIBUTI_IO_ID, assert_sent_exactly_once, fiscal_codes, imported_flow

SEND = "submitMessageforUserWithFiscalCodeInBody"


# When the test lets IO regenerate the primary (the app asks once its fence allows it):
# - "phases": once a batch has gone out with the new secondary, so that the sends show the
#   three phases (old primary, new secondary, new primary) whatever the tasks' interleaving;
# - "early": as soon as one more message has gone out since the secondary's regeneration,
#   the earliest a batch claimed before the switch could still be sending with the old
#   primary (this case fails without the fence: the old batch's keys are both refused).
CASES = [(True, "phases"), (False, "phases"), (True, "early"), (False, "early")]


@pytest.mark.parametrize(
    ("check_profile", "gate"),
    CASES,
    ids=[f"{'profile' if p else 'no-profile'}-{g}" for p, g in CASES],
)
async def test_keys_regenerated_while_a_flow_is_sent_refuse_no_message_and_send_none_twice(
    session: Session,
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
    check_profile: bool,
    gate: str,
) -> None:
    app = create_app(
        demo_config(rate_limit=False, processing_delay=0.0, no_io_share=0.0, blocked_share=0.0)
    )
    service_id = demo["Tributi - TARI"]
    codes = fiscal_codes(400)
    flow = imported_flow(session, operator, service_id, codes)
    flow.check_profile = check_profile
    actions.activate(session, operator, flow.id)
    actions.send(session, operator, flow.id)
    set_manage_key(session, operator, DEMO_MANAGE_KEY, keybox)
    session.commit()
    dispatcher = make_dispatcher(app, batch_size=100, concurrency=8, status_first_check=3600.0)
    sending = asyncio.create_task(dispatcher.run(once=True))
    simulator = httpx.ASGITransport(app=app)

    sent_before_secondary = [0]

    def may_regenerate_the_primary() -> bool:
        if gate == "phases":
            return "secondary" in {e.key for e in app.record.requests}
        return len(app.record.messages) > sent_before_secondary[0]

    async def overlapping(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT" and request.url.path.endswith("/secondary"):
            sent_before_secondary[0] = len(app.record.messages)
        if request.method == "PUT" and request.url.path.endswith("/primary"):
            while not may_regenerate_the_primary() and not sending.done():
                await asyncio.sleep(0)
        response = await simulator.handle_async_request(request)
        await response.aread()
        return response

    manage = ManageClient(
        "http://simulator/api/v1", httpx.AsyncClient(transport=httpx.MockTransport(overlapping))
    )

    async def rotate_mid_flow() -> None:
        while len(app.record.messages) < 50:  # the flow is under way, a batch half sent
            await asyncio.sleep(0)
        with session_scope(sessions) as check:
            assert queries.get_flow(check, operator, flow.id).state == FlowState.SENDING
        await regenerate_keys(sessions, operator, service_id, keybox, manage, poll=0.0)

    await asyncio.gather(sending, rotate_mid_flow())

    session.expire_all()
    rows = queries.list_recipients(session, operator, flow.id)
    assert {r.outcome for r in rows} == {Outcome.ACCEPTED}
    assert queries.get_flow(session, operator, flow.id).state == FlowState.SENT
    assert_sent_exactly_once(app.record, rows)
    assert len(app.record.sends_by_fiscal_code(TRIBUTI_IO_ID)) == len(codes)
    assert [e for e in app.record.requests if e.status == 401] == []
    # The sends went out with the old primary, then the new secondary, then the new primary:
    # the keys were regenerated while the flow was being sent.
    kinds = [e.key for e in app.record.requests if e.operation == SEND]
    phases = [kind for kind, _ in itertools.groupby(kinds)]
    assert phases == ["primary", "secondary", "primary"] if gate == "phases" else phases[-1]
    await manage.aclose()
