"""The dispatcher against the in-process simulator: outcomes, finishing, retries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import FeatureLevel, FlowState, Outcome
from appio_core.errors import Conflict
from appio_core.flows import actions, queries
from appio_core.io import groups
from appio_core.io.simulator import create_app, demo_config
from appio_core.io.simulator.app import SimulatorApp
from appio_core.io.simulator.config import Faults
from appio_core.sending.dispatcher import Dispatcher
from appio_core.storage.models import Flow, Service, utcnow

from .conftest import (
    assert_sent_exactly_once,
    expected_outcomes,
    fiscal_codes,
    imported_flow,
    tally,
)


def new_flow(session: Session, actor: Actor, service_id: int, codes: list[str]) -> int:
    flow = imported_flow(session, actor, service_id, codes)
    actions.activate(session, actor, flow.id)
    actions.send(session, actor, flow.id)
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
    rows = queries.list_recipients(session, operator, flow_id)
    expected = expected_outcomes(simulator, codes)
    assert {r.fiscal_code: r.outcome for r in rows} == expected
    assert set(expected.values()) == {
        Outcome.ACCEPTED,
        Outcome.NOT_ON_IO,
        Outcome.SERVICE_BLOCKED,
    }  # the population has every kind
    assert queries.get_flow(session, operator, flow_id).state == FlowState.INCOMPLETE
    assert_sent_exactly_once(simulator.record, rows)


async def test_status_reads_turn_accepted_messages_into_delivered_with_the_email_status(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    app = create_app(
        demo_config(
            rate_limit=False,
            processing_delay=0.0,
            email_notifications=True,
            no_io_share=0.0,
            blocked_share=0.0,
        )
    )
    flow_id = new_flow(session, operator, demo["Tributi - TARI"], fiscal_codes(40))
    await make_dispatcher(app).run(once=True)
    session.expire_all()
    view = queries.get_flow(session, operator, flow_id)
    assert view.counts == {Outcome.DELIVERED: 40}
    assert view.state == FlowState.SENT
    rows = queries.list_recipients(session, operator, flow_id)
    assert all(r.io_status == "PROCESSED" and r.io_message_id for r in rows)
    assert {r.email_status for r in rows} <= {"SENT", None}
    assert all(r.next_status_check_at is None for r in rows)  # final: no more reads


async def test_pausing_stops_sending_and_resuming_never_sends_twice(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    codes = fiscal_codes(200)
    expected = expected_outcomes(simulator, codes)
    flow_id = new_flow(session, operator, demo["Tributi - TARI"], codes)
    # No status reads here: the accepted rows stay «accettato».
    dispatcher = make_dispatcher(batch_size=50, concurrency=10, status_first_check=3600.0)
    await dispatcher.tick()  # one batch: the first 50 rows
    actions.pause(session, operator, flow_id)
    session.commit()
    await dispatcher.run(once=True)
    first_batch = [expected[cf] for cf in codes[:50]]
    sent_before_pausing = set(simulator.record.sends_by_fiscal_code())
    assert sent_before_pausing == {cf for cf in codes[:50] if expected[cf] == Outcome.ACCEPTED}
    session.expire_all()
    assert queries.get_flow(session, operator, flow_id).counts == tally(
        [*first_batch, *[Outcome.PENDING] * 150]
    )
    actions.resume(session, operator, flow_id)
    session.commit()
    await make_dispatcher(status_first_check=3600.0).run(once=True)
    session.expire_all()
    rows = queries.list_recipients(session, operator, flow_id)
    assert {r.fiscal_code: r.outcome for r in rows} == expected
    assert_sent_exactly_once(simulator.record, rows)
    assert queries.get_flow(session, operator, flow_id).state == FlowState.INCOMPLETE


async def test_cancelling_keeps_what_was_sent_and_sends_nothing_more(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    flow_id = new_flow(session, operator, demo["Tributi - TARI"], fiscal_codes(120))
    dispatcher = make_dispatcher(batch_size=40)
    await dispatcher.tick()
    actions.cancel(session, operator, flow_id)
    session.commit()
    before = len(simulator.record.sends_by_fiscal_code())
    await dispatcher.run(once=True)
    assert len(simulator.record.sends_by_fiscal_code()) == before
    session.expire_all()
    view = queries.get_flow(session, operator, flow_id)
    assert view.state == FlowState.CANCELLED
    assert view.counts[Outcome.PENDING] == 80


async def test_unavailable_io_is_retried_then_the_row_fails_as_retryable(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    app = create_app(
        demo_config(rate_limit=False, processing_delay=0.0, faults=Faults(error_503_rate=1.0))
    )
    codes = fiscal_codes(5)
    flow_id = new_flow(session, operator, demo["Tributi - TARI"], codes)
    dispatcher = make_dispatcher(app, max_attempts=2, status_first_check=3600.0)
    for _ in range(50):
        if not await dispatcher.tick():
            await asyncio.sleep(0.02)
        session.expire_all()
        if queries.get_flow(session, operator, flow_id).state != FlowState.SENDING:
            break
    view = queries.get_flow(session, operator, flow_id)
    assert view.state == FlowState.INCOMPLETE
    rows = queries.list_recipients(session, operator, flow_id)
    assert all(r.outcome == Outcome.ERROR and r.retryable and r.attempts == 2 for r in rows)
    assert "(dopo 2 tentativi)" in rows[0].error_detail
    assert app.record.sends_by_fiscal_code() == {}  # 503: IO created nothing
    app.set_faults(Faults())
    assert actions.retry_failed(session, operator, flow_id) == 5
    session.commit()
    await dispatcher.run(once=True)
    session.expire_all()
    rows = queries.list_recipients(session, operator, flow_id)
    expected = expected_outcomes(app, codes)
    assert {r.fiscal_code: r.outcome for r in rows} == expected
    assert_sent_exactly_once(app.record, rows)
    negative = any(o != Outcome.ACCEPTED for o in expected.values())
    assert queries.get_flow(session, operator, flow_id).state == (
        FlowState.INCOMPLETE if negative else FlowState.SENT
    )


async def test_a_server_error_on_send_makes_the_row_uncertain_and_it_is_not_resent(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    app = create_app(
        demo_config(rate_limit=False, processing_delay=0.0, no_io_share=0.0, blocked_share=0.0)
    )
    flow_id = new_flow(session, operator, demo["Tributi - TARI"], fiscal_codes(30))
    flow = session.get(Flow, flow_id)
    assert flow is not None
    flow.check_profile = False  # every request is a send
    session.commit()
    app.set_faults(Faults(error_500_rate=1.0, created_share=0.5))
    await make_dispatcher(app).run(once=True)
    session.expire_all()
    view = queries.get_flow(session, operator, flow_id)
    assert view.counts == {Outcome.UNCERTAIN: 30}
    assert view.state == FlowState.INCOMPLETE
    created = app.record.sends_by_fiscal_code()
    assert 0 < len(created) < 30  # IO created some of them before failing
    app.set_faults(Faults())
    rows = queries.list_recipients(session, operator, flow_id)
    reached = [r.id for r in rows if r.fiscal_code in created]
    missing = [r.id for r in rows if r.fiscal_code not in created]
    actions.mark_uncertain_sent(session, operator, flow_id, reached)
    actions.resend_uncertain(session, operator, flow_id, missing)
    session.commit()
    await make_dispatcher(app, status_first_check=3600.0).run(once=True)
    sends = app.record.sends_by_fiscal_code()
    assert sorted(sends) == sorted(r.fiscal_code for r in rows)
    assert all(len(ids) == 1 for ids in sends.values())
    session.expire_all()
    after = {r.id: r for r in queries.list_recipients(session, operator, flow_id)}
    assert all(after[i].outcome == Outcome.ACCEPTED for i in reached + missing)
    assert all(after[i].io_message_id is None for i in reached)  # IO's id is not known
    assert_sent_exactly_once(app.record, [after[i] for i in missing])
    assert queries.get_flow(session, operator, flow_id).state == FlowState.SENT


async def test_a_refused_key_pauses_the_flow_with_a_note(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    keybox: KeyBox,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    service_id = demo["Tributi - TARI"]
    flow_id = new_flow(session, operator, service_id, fiscal_codes(20))
    service = session.get(Service, service_id)
    assert service is not None
    service.primary_key_encrypted = keybox.seal("wrong-key-000000")
    service.secondary_key_encrypted = None
    session.commit()
    await make_dispatcher().run(once=True)
    session.expire_all()
    flow = session.get(Flow, flow_id)
    assert flow is not None
    assert flow.state == FlowState.PAUSED
    assert "IO ha rifiutato le chiavi del servizio" in (flow.dispatcher_note or "")
    assert queries.get_flow(session, operator, flow_id).counts == {Outcome.PENDING: 20}


async def test_premium_messages_the_service_may_not_send_pause_the_flow_with_what_to_ask(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    """Issue 16: PagoPA has not granted the demo's Mensa the premium (ADVANCED) messages."""
    flow_id = new_flow(session, operator, demo["Servizi scolastici - Mensa"], fiscal_codes(20))
    flow = session.get(Flow, flow_id)
    assert flow is not None
    flow.feature_level = FeatureLevel.ADVANCED
    flow.check_profile = False  # every row reaches the send
    session.commit()
    await make_dispatcher().run(once=True)
    session.expire_all()
    flow = session.get(Flow, flow_id)
    assert flow is not None
    assert flow.state == FlowState.PAUSED
    assert flow.dispatcher_note == (
        f"Invio sospeso automaticamente. {groups.ADVANCED.explanation} Poi riprendi l'invio."
    )
    rows = queries.list_recipients(session, operator, flow_id)
    assert {r.outcome for r in rows} == {Outcome.PENDING}  # nothing lost: sent after a resume
    refused = [r for r in rows if r.error_detail]
    assert refused and all(r.error_detail == groups.ADVANCED.explanation for r in refused)
    assert all(r.io_message_id is None for r in rows)


async def test_keys_that_cannot_be_decrypted_pause_the_flow_with_a_note(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    service_id = demo["Tributi - TARI"]
    flow_id = new_flow(session, operator, service_id, fiscal_codes(5))
    service = session.get(Service, service_id)
    assert service is not None
    # Sealed with another installation's secret key: this one cannot open it.
    service.primary_key_encrypted = KeyBox(Fernet.generate_key().decode()).seal("k-0000000000")
    session.commit()
    await make_dispatcher().run(once=True)
    session.expire_all()
    flow = session.get(Flow, flow_id)
    assert flow is not None
    assert flow.state == FlowState.PAUSED
    assert "non si possono decifrare" in (flow.dispatcher_note or "")
    assert queries.get_flow(session, operator, flow_id).counts == {Outcome.PENDING: 5}


async def test_rows_left_in_flight_by_a_dead_worker_are_recovered_safely(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    codes = fiscal_codes(10)
    flow_id = new_flow(session, operator, demo["Tributi - TARI"], codes)
    rows = queries.list_recipients(session, operator, flow_id)
    for row in rows[:4]:  # claimed by a worker that died before posting
        row.outcome, row.worker_id = Outcome.SENDING, "dead-worker"
    for row in rows[4:6]:  # ... and two that it had started to post
        row.outcome, row.worker_id = Outcome.SENDING, "dead-worker"
        row.send_started_at = utcnow()
    session.commit()
    await make_dispatcher(status_first_check=3600.0).run(once=True)
    session.expire_all()
    after = queries.list_recipients(session, operator, flow_id)
    expected = expected_outcomes(simulator, codes)
    # Not started: sent now, once. Started: «esito incerto», never sent again.
    assert {r.fiscal_code: r.outcome for r in after} == {
        **expected,
        codes[4]: Outcome.UNCERTAIN,
        codes[5]: Outcome.UNCERTAIN,
    }
    assert "interrotto" in (after[4].error_detail or "")
    sent = simulator.record.sends_by_fiscal_code()
    assert codes[4] not in sent and codes[5] not in sent
    assert_sent_exactly_once(simulator.record, after)


async def test_a_deactivated_service_pauses_its_flows_and_refuses_resume_and_retry(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    """A deactivated service sends nothing: its flow «In invio» pauses with a note, and
    every action that would send again is refused in Italian until it is reactivated."""
    service_id = demo["Tributi - TARI"]
    flow_id = new_flow(session, operator, service_id, fiscal_codes(5))
    service = session.get(Service, service_id)
    assert service is not None
    service.active = False
    session.commit()
    await make_dispatcher().run(once=True)
    session.expire_all()
    flow = session.get(Flow, flow_id)
    assert flow is not None
    assert flow.state == FlowState.PAUSED
    assert "il servizio è stato disattivato" in (flow.dispatcher_note or "")
    assert queries.get_flow(session, operator, flow_id).counts == {Outcome.PENDING: 5}
    with pytest.raises(Conflict, match="è disattivato: riattivalo per usarlo"):
        actions.resume(session, operator, flow_id)
    session.rollback()

    service = session.get(Service, service_id)
    assert service is not None
    service.active = True
    session.commit()
    actions.resume(session, operator, flow_id)
    session.commit()
    await make_dispatcher().run(once=True)
    session.expire_all()
    assert Outcome.PENDING not in queries.get_flow(session, operator, flow_id).counts
