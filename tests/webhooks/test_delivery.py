"""The workers' delivery against a real local receiver that verifies every signature:
delivered once, retried while the receiver is down or failing, given up after 24 hours,
cut at the timeout, and never lost when a worker dies mid-delivery."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.domain import Outcome
from appio_core.integrations.keys import CreatedIntegration
from appio_core.webhooks import store
from appio_core.webhooks.config import RETRY_DELAYS, WebhookConfig, next_attempt
from appio_core.webhooks.delivery import WebhookSender
from appio_core.webhooks.models import DeliveryState, EventType

from .conftest import TARI, Clock, Deliver, Receiver, add_notification, change_notification, events


def _messages(
    sessions: sessionmaker[Session], services: dict[str, int], integration_id: int, count: int
) -> list[int]:
    """`count` single messages, each accepted by IO: one event each."""
    rows = [add_notification(sessions, services[TARI], integration_id) for _ in range(count)]
    for row in rows:
        change_notification(sessions, row, outcome=Outcome.ACCEPTED, io_message_id=f"M{row}")
    return rows


def test_events_are_posted_signed_and_marked_delivered(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    deliver: Deliver,
) -> None:
    rows = _messages(sessions, services, integration.id, 3)
    assert deliver(rounds=2) == [3, 0]
    assert [d.verified for d in receiver.deliveries] == [True] * 3
    assert sorted(receiver.accepted_ids()) == sorted(e.event_id for e in events(sessions))
    body = next(d.body for d in receiver.deliveries if d.body["data"]["id"] == rows[0])
    assert body["type"] == "notification.accepted"
    assert body["timestamp"].endswith("+00:00")
    assert body["data"]["io_message_id"] == f"M{rows[0]}"
    assert {(e.state, e.attempts, e.last_status) for e in events(sessions)} == {
        (DeliveryState.DELIVERED, 1, 204)
    }
    assert all(e.leased_by is None and e.delivered_at is not None for e in events(sessions))


def test_a_receiver_down_for_a_while_gets_every_event_once_back(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    deliver: Deliver,
    clock: Clock,
) -> None:
    receiver.stop()
    _messages(sessions, services, integration.id, 5)
    for _ in range(4):  # down: attempt after attempt fails
        deliver()
        clock.advance(minutes=15)
    waiting = events(sessions)
    assert {(e.state, e.attempts) for e in waiting} == {(DeliveryState.PENDING, 4)}
    assert all("Connessione al ricevente non riuscita" in (e.last_error or "") for e in waiting)
    _messages(sessions, services, integration.id, 2)  # more while it is down
    receiver.start()
    clock.advance(hours=1)
    deliver(rounds=2)
    accepted = receiver.accepted_ids()
    assert len(accepted) == 7 and max(Counter(accepted).values()) == 1
    assert sorted(accepted) == sorted(e.event_id for e in events(sessions))
    assert all(d.verified for d in receiver.deliveries)
    assert {e.state for e in events(sessions)} == {DeliveryState.DELIVERED}


def test_a_failing_receiver_costs_retries_then_the_event_fails_after_24_hours(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    deliver: Deliver,
    clock: Clock,
) -> None:
    receiver.status = 500
    _messages(sessions, services, integration.id, 1)
    created = events(sessions)[0].created_at
    clock.now = created
    waits = []
    while (event := events(sessions)[0]).state is DeliveryState.PENDING:
        if event.next_attempt_at is not None:
            waits.append((event.next_attempt_at - clock.now).total_seconds())
            clock.now = event.next_attempt_at
        assert deliver() == [1]
        assert len(waits) < 40
    assert waits[: len(RETRY_DELAYS)] == list(RETRY_DELAYS)
    assert set(waits[len(RETRY_DELAYS) : -1]) == {7200.0}
    assert event.state is DeliveryState.FAILED
    assert event.last_status == 500 and event.last_error == "Il ricevente ha risposto 500."
    assert clock.now == created + timedelta(hours=24)  # the last attempt at the 24th hour
    assert event.attempts == len(receiver.deliveries) == len(waits) + 1
    assert len(set(receiver.accepted_ids())) == 0
    assert len({d.webhook_id for d in receiver.deliveries}) == 1  # the same id each time


def test_a_slow_receiver_is_cut_at_the_timeout_as_a_failure(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    deliver: Deliver,
) -> None:
    receiver.delay = 2.0
    _messages(sessions, services, integration.id, 4)
    started = time.monotonic()
    assert deliver(timeout=0.3) == [4]  # posted together: one timeout, not four
    assert time.monotonic() - started < 1.5
    assert {(e.state, e.attempts, e.last_error) for e in events(sessions)} == {
        (DeliveryState.PENDING, 1, "Nessuna risposta entro 0,3 secondi.")
    }


def test_a_worker_that_dies_mid_delivery_loses_nothing(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    deliver: Deliver,
    clock: Clock,
) -> None:
    _messages(sessions, services, integration.id, 6)
    lease = WebhookConfig().lease
    with sessions.begin() as session:  # the dead worker claimed a batch, then nothing
        claimed = store.claim(session, "dead", clock(), clock() + lease, limit=4)
    assert len(claimed) == 4
    assert deliver(worker="alive") == [2]  # the others' are leased
    clock.advance(seconds=lease.total_seconds() + 1)
    assert deliver(worker="alive") == [4]
    accepted = receiver.accepted_ids()
    assert len(accepted) == 6 and max(Counter(accepted).values()) == 1
    assert {e.state for e in events(sessions)} == {DeliveryState.DELIVERED}


def test_a_worker_that_dies_after_posting_repeats_the_same_webhook_id(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    keybox: KeyBox,
    deliver: Deliver,
    clock: Clock,
) -> None:
    """At least once: what the dead worker posted comes again, under the same id."""
    _messages(sessions, services, integration.id, 2)

    async def post_and_die() -> None:
        sender = WebhookSender(sessions, keybox, "dead", clock=clock)
        with sessions.begin() as session:
            claimed = store.claim(session, "dead", clock(), clock() + sender.config.lease, 10)
            targets = sender._targets(session, {integration.id})
        await asyncio.gather(*(sender._attempt(e, targets) for e in claimed))
        await sender.close()  # and never records

    asyncio.run(post_and_die())
    clock.advance(seconds=WebhookConfig().lease.total_seconds() + 1)
    deliver()
    ids = receiver.accepted_ids()
    assert len(ids) == 4 and set(Counter(ids).values()) == {2}
    assert {e.state for e in events(sessions)} == {DeliveryState.DELIVERED}


def test_a_stopped_worker_gives_its_events_back_at_once(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    keybox: KeyBox,
    deliver: Deliver,
    clock: Clock,
) -> None:
    receiver.delay = 2.0
    _messages(sessions, services, integration.id, 2)

    async def stop_mid_delivery() -> None:
        sender = WebhookSender(sessions, keybox, "stopping", clock=clock)
        task = asyncio.create_task(sender.deliver_due())
        await asyncio.sleep(0.3)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await sender.close()

    asyncio.run(stop_mid_delivery())
    assert {(e.leased_by, e.attempts) for e in events(sessions)} == {(None, 0)}
    receiver.delay = 0.0
    assert deliver() == [2]


def test_a_revoked_integration_s_events_are_not_posted(
    sessions: sessionmaker[Session],
    services: dict[str, int],
    integration: CreatedIntegration,
    receiver: Receiver,
    deliver: Deliver,
) -> None:
    from appio_core.accounts.permissions import Actor
    from appio_core.integrations.keys import revoke_integration

    _messages(sessions, services, integration.id, 1)
    with sessions.begin() as session:
        revoke_integration(session, Actor.system(), integration.name)
    deliver()
    assert receiver.deliveries == []
    assert "revocata" in (events(sessions)[0].last_error or "")


def test_the_schedule_of_attempts() -> None:
    start = Clock().now
    day = timedelta(hours=24)
    assert next_attempt(1, start, start, day) == start + timedelta(seconds=5)
    assert next_attempt(6, start, start, day) == start + timedelta(hours=1)
    assert next_attempt(9, start, start, day) == start + timedelta(hours=2)
    late = start + timedelta(hours=23, minutes=30)
    assert next_attempt(12, late, start, day) == start + day
    assert next_attempt(13, start + day, start, day) is None
    assert EventType.FLOW_STATE.label == "Stato del flusso cambiato"
