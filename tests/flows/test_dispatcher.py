"""The dispatcher against the in-process simulator: outcomes, finishing, retries."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from appio_core import flows
from appio_core.dispatcher import Dispatcher
from appio_core.flow_states import FlowState, Outcome
from appio_core.permissions import Actor
from appio_core.simulator.app import SimulatorApp

from .conftest import TEXT, fiscal_codes, recipient_csv


def new_flow(session: Session, actor: Actor, service_id: int, codes: list[str]) -> int:
    flow = flows.import_flow(
        session,
        actor,
        service_id=service_id,
        name="Avviso TARI",
        natura="Comunicazione",
        source=recipient_csv(codes),
        filename="destinatari.csv",
        templates=flows.Templates(subject="Avviso per {{nome}}", text=TEXT),
    )
    flows.activate(session, actor, flow.id)
    flows.send(session, actor, flow.id)
    session.commit()
    return flow.id


async def test_a_flow_is_sent_and_every_recipient_gets_an_outcome(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    codes = fiscal_codes(300)
    flow_id = new_flow(session, operator, demo["Tributi - TARI"], codes)
    await make_dispatcher(status_first_check=3600.0).run(once=True)
    session.expire_all()
    view = flows.get_flow(session, operator, flow_id)
    assert sum(view.counts.values()) == 300
    assert set(view.counts) <= {Outcome.ACCEPTED, Outcome.NOT_ON_IO, Outcome.SERVICE_BLOCKED}
    assert view.counts[Outcome.ACCEPTED] > 200
    assert view.state == FlowState.INCOMPLETE  # some citizens are not on IO
    sends = simulator.record.sends_by_fiscal_code()
    accepted = {
        r.fiscal_code
        for r in flows.list_recipients(session, operator, flow_id, outcome=Outcome.ACCEPTED)
    }
    assert set(sends) == accepted
    assert all(len(ids) == 1 for ids in sends.values())
