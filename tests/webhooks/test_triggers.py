"""The triggers write an event for each change of an integration's message or flow, in
the same transaction, on SQLite and PostgreSQL; nothing for the other rows."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.domain import FlowState, Outcome
from appio_core.integrations.keys import CreatedIntegration, revoke_integration
from appio_core.storage.models import Flow, Notification
from appio_core.webhooks.models import DeliveryState, EventType

from .conftest import TARI, add_flow, add_notification, change_notification, events

Make = Callable[..., CreatedIntegration]


def test_a_single_message_s_life_writes_one_event_per_step(
    sessions: sessionmaker[Session], services: dict[str, int], integration: CreatedIntegration
) -> None:
    row = add_notification(sessions, services[TARI], integration.id)
    change_notification(sessions, row, outcome=Outcome.SENDING)
    change_notification(sessions, row, outcome=Outcome.ACCEPTED, io_message_id="01ABC")
    change_notification(sessions, row, outcome=Outcome.ACCEPTED)  # written again: no event
    change_notification(sessions, row, outcome=Outcome.DELIVERED, io_status="PROCESSED")
    change_notification(sessions, row, read_status="READ", payment_status="NOT_PAID")
    change_notification(sessions, row, payment_status="PAID")
    found = events(sessions)
    assert [e.type for e in found] == [
        EventType.ACCEPTED, EventType.DELIVERED, EventType.READ, EventType.PAID,
    ]  # fmt: skip
    assert {(e.integration_id, e.subject_id, e.state, e.attempts) for e in found} == {
        (integration.id, row, DeliveryState.PENDING, 0)
    }
    assert all(re.fullmatch(r"msg_[0-9a-f]{32}", e.event_id) for e in found)
    assert len({e.event_id for e in found}) == 4
    assert json.loads(found[0].data) == {
        "id": row, "outcome": "accettato", "io_message_id": "01ABC", "io_status": None,
        "read_status": None, "payment_status": None, "error_detail": None,
    }  # fmt: skip
    assert json.loads(found[3].data)["payment_status"] == "PAID"
    assert all(e.created_at.tzinfo is not None and e.next_attempt_at is None for e in found)


def test_each_outcome_has_its_event(
    sessions: sessionmaker[Session], services: dict[str, int], integration: CreatedIntegration
) -> None:
    expected = {
        Outcome.NOT_ON_IO: EventType.NOT_ON_IO,
        Outcome.SERVICE_BLOCKED: EventType.SERVICE_DISABLED,
        Outcome.ERROR: EventType.ERROR,
        Outcome.UNCERTAIN: EventType.UNCERTAIN,
        Outcome.DELIVERED: EventType.ACCEPTED,  # straight to delivered: accepted, delivered
    }
    rows = {add_notification(sessions, services[TARI], integration.id): o for o in expected}
    for row, outcome in rows.items():
        change_notification(sessions, row, outcome=outcome, error_detail="motivo")
    firsts = {}
    for event in events(sessions):
        firsts.setdefault(event.subject_id, event)
    assert {rows[row]: e.type for row, e in firsts.items()} == expected
    assert all(json.loads(e.data)["outcome"] == rows[row].value for row, e in firsts.items())
    assert [e.type for e in events(sessions)][-1] == EventType.DELIVERED


def test_io_rejecting_an_accepted_message_is_an_error_event(
    sessions: sessionmaker[Session], services: dict[str, int], integration: CreatedIntegration
) -> None:
    row = add_notification(sessions, services[TARI], integration.id)
    change_notification(sessions, row, outcome=Outcome.ACCEPTED)
    change_notification(sessions, row, outcome=Outcome.REJECTED, io_status="REJECTED")
    assert [e.type for e in events(sessions)] == [EventType.ACCEPTED, EventType.ERROR]


def test_a_message_inserted_with_its_outcome_has_its_event(
    sessions: sessionmaker[Session], services: dict[str, int], integration: CreatedIntegration
) -> None:
    add_notification(sessions, services[TARI], integration.id, outcome=Outcome.NOT_ON_IO)
    assert [e.type for e in events(sessions)] == [EventType.NOT_ON_IO]


def test_a_flow_s_state_changes_are_events_its_rows_are_not(
    sessions: sessionmaker[Session], services: dict[str, int], integration: CreatedIntegration
) -> None:
    flow_id = add_flow(sessions, services[TARI], integration.id)
    row = add_notification(sessions, services[TARI], None, flow_id=flow_id)
    for state in (FlowState.ACTIVE, FlowState.SENDING, FlowState.SENDING, FlowState.SENT):
        with sessions.begin() as session:
            session.execute(update(Flow).where(Flow.id == flow_id).values(state=state))
    change_notification(sessions, row, outcome=Outcome.ACCEPTED)
    found = events(sessions)
    assert [e.type for e in found] == [EventType.FLOW_STATE] * 3
    assert [json.loads(e.data) for e in found] == [
        {"id": flow_id, "state": "Attivo", "previous_state": "Inattivo"},
        {"id": flow_id, "state": "In invio", "previous_state": "Attivo"},
        {"id": flow_id, "state": "Inviato", "previous_state": "In invio"},
    ]


def test_no_event_for_rows_without_an_integration_or_a_receiving_one(
    sessions: sessionmaker[Session], services: dict[str, int], make_integration: Make
) -> None:
    service = services[TARI]
    without_url = make_integration("Anagrafe")
    revoked = make_integration("Mensa", webhook_url="https://mensa.example/hooks")
    with sessions.begin() as session:
        revoke_integration(session, Actor.system(), "Mensa")
    flow_id = add_flow(sessions, service, None)
    rows = [add_notification(sessions, service, i) for i in (None, without_url.id, revoked.id)]
    for row in rows:
        change_notification(sessions, row, outcome=Outcome.ACCEPTED)
    with sessions.begin() as session:
        session.execute(update(Flow).where(Flow.id == flow_id).values(state=FlowState.ACTIVE))
    assert events(sessions) == []


def test_an_event_is_kept_only_with_its_change(
    sessions: sessionmaker[Session], services: dict[str, int], integration: CreatedIntegration
) -> None:
    row = add_notification(sessions, services[TARI], integration.id)
    with sessions() as session:
        session.execute(
            update(Notification).where(Notification.id == row).values(outcome=Outcome.ERROR)
        )
        session.rollback()
    assert events(sessions) == []


@pytest.mark.backends("postgres")
def test_postgres_runs_them_even_in_the_import_s_replica_mode(
    sessions: sessionmaker[Session], services: dict[str, int], integration: CreatedIntegration
) -> None:
    row = add_notification(sessions, services[TARI], integration.id)
    with sessions.begin() as session:
        enabled = session.execute(
            text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE 'webhook_%'")
        ).all()
        session.execute(text("SET LOCAL session_replication_role = replica"))
        session.execute(
            update(Notification).where(Notification.id == row).values(outcome=Outcome.ERROR)
        )
    assert sorted(enabled) == [
        ("webhook_flow_update", "A"),
        ("webhook_notification_insert", "A"),
        ("webhook_notification_update", "A"),
    ]
    assert [e.type for e in events(sessions)] == [EventType.ERROR]
