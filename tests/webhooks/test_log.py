"""The delivery log and «Reinvia», for administrators; and the workers deliver by
themselves: `appio worker`'s and the web's dispatcher run the delivery beside sending."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.audit.models import AuditEntry
from appio_core.domain import Outcome, Role
from appio_core.errors import InvalidInput, PermissionDenied
from appio_core.integrations.keys import CreatedIntegration
from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig
from appio_core.webhooks import store
from appio_core.webhooks.config import WebhookConfig
from appio_core.webhooks.log import delivery_log, redeliver
from appio_core.webhooks.models import DeliveryState, EventType

from .conftest import TARI, Clock, Deliver, Receiver, add_notification, change_notification, events


def _failed_event(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    deliver: Deliver,
    clock: Clock,
) -> str:
    receiver.status = 500
    row = add_notification(sessions, services[TARI], integration.id)
    change_notification(sessions, row, outcome=Outcome.NOT_ON_IO)
    clock.advance(hours=25)
    deliver()
    event = events(sessions)[0]
    assert event.state is DeliveryState.FAILED
    return event.event_id


def test_the_log_and_reinvia_of_a_failed_event(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    deliver: Deliver,
    clock: Clock,
    admin: Actor,
) -> None:
    event_id = _failed_event(sessions, services, integration, receiver, deliver, clock)
    with sessions.begin() as session:
        [row] = delivery_log(session, admin, integration.id, limit=10)
    assert (row.event_id, row.type, row.type_label, row.subject) == (
        event_id, EventType.NOT_ON_IO, "Cittadino non su IO", f"notifica n. {row.subject_id}",
    )  # fmt: skip
    assert (row.state, row.attempts, row.last_status, row.redeliverable) == (
        DeliveryState.FAILED, 1, 500, True,
    )  # fmt: skip
    with sessions.begin() as session:
        redeliver(session, admin, event_id)
    event = events(sessions)[0]
    assert (event.state, event.attempts, event.next_attempt_at) == (DeliveryState.PENDING, 0, None)
    assert event.redelivered_by == admin.username
    with sessions() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.action == "integration.webhook-redeliver"
    receiver.status = 200
    deliver()  # 25 hours after the event, but the 24 hours count from «Reinvia»
    assert receiver.accepted_ids() == [event_id]  # the same webhook-id
    assert events(sessions)[0].state is DeliveryState.DELIVERED
    with sessions.begin() as session, pytest.raises(InvalidInput, match="fallito"):
        redeliver(session, admin, event_id)


def test_only_an_administrator_reads_the_log_or_redelivers(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    deliver: Deliver,
    clock: Clock,
    make_actor: Callable[[str, Role], Actor],
) -> None:
    event_id = _failed_event(sessions, services, integration, receiver, deliver, clock)
    operator = make_actor("mrossi", Role.OPERATOR)
    with sessions() as session:
        with pytest.raises(PermissionDenied, match="amministratore"):
            delivery_log(session, operator, integration.id, 10)
        with pytest.raises(PermissionDenied, match="amministratore"):
            redeliver(session, operator, event_id)
    assert events(sessions)[0].state is DeliveryState.FAILED


@pytest.mark.backends("postgres")
def test_two_workers_claim_disjoint_batches(
    sessions: sessionmaker[Session], services: dict[str, int], integration: CreatedIntegration
) -> None:
    for _ in range(6):
        row = add_notification(sessions, services[TARI], integration.id)
        change_notification(sessions, row, outcome=Outcome.ERROR)
    now = Clock().now
    lease = WebhookConfig().lease
    with sessions.begin() as first, sessions.begin() as second:
        a = store.claim(first, "a", now, now + lease, 4)  # its locks held meanwhile
        b = store.claim(second, "b", now, now + lease, 4)
    assert len(a) == 4 and len(b) == 2
    assert not {e.id for e in a} & {e.id for e in b}


def test_the_worker_delivers_beside_sending(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    keybox: KeyBox,
) -> None:
    row = add_notification(sessions, services[TARI], integration.id)
    change_notification(sessions, row, outcome=Outcome.ACCEPTED)
    dispatcher = Dispatcher(
        sessions,
        keybox,
        "http://simulator/api/v1",
        DispatcherConfig(idle_sleep=0.02),
        webhooks=WebhookConfig(idle_seconds=0.02),
    )
    deadline = time.monotonic() + 10

    def delivered() -> bool:
        return events(sessions)[0].state is DeliveryState.DELIVERED

    asyncio.run(dispatcher.run(lambda: delivered() or time.monotonic() > deadline))
    assert [d.verified for d in receiver.deliveries] == [True]
    assert events(sessions)[0].state is DeliveryState.DELIVERED
