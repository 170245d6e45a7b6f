"""The worker's lane for the API's queue: on an account a worker holds the lease of (for a
flow or for status reads), that worker sends the queue through its own limiter, the whole
account's, before the account's status reads; an account another worker holds is left to
it. Booked on the shared budget instead, the queue got only the reserve kept for single
messages (bench/RESULTS-api.md, phase 2: a quarter of the account's rate)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.domain import Outcome
from appio_core.integrations.keys import CreatedIntegration
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.io.simulator.app import SEND_OPERATION
from appio_core.notifications.queued import claim_queued
from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig
from appio_core.sending.singles import BATCH
from appio_core.storage.models import IoAccount, Notification, Service, utcnow
from appio_core.storage.runtime_models import AccountBudget, AccountLease
from tests.api.conftest import TARI, bearer
from tests.notifications.conftest import SUBJECT, TEXT, citizen

URL = "/api/v1/notifications"
STATUS_READ = "getMessage"


def _post(client: TestClient, key: str, index: int) -> int:
    body: dict[str, Any] = {
        "service_name": TARI.name,
        "fiscal_code": citizen(Kind.WITH_IO, index),
        "subject": SUBJECT,
        "markdown": TEXT,
    }
    headers = bearer(key) | {"Idempotency-Key": f"coda-{index}"}
    answer = client.post(URL, json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["id"])


def _work(sessions: sessionmaker[Session], keybox: KeyBox) -> None:
    config = DispatcherConfig(idle_sleep=0.01)
    asyncio.run(Dispatcher(sessions, keybox, "simulator", config).run(once=True))


def _account(sessions: sessionmaker[Session], services: dict[str, int]) -> int:
    with sessions() as session:
        account_id = session.scalar(
            select(Service.account_id).where(Service.id == services[TARI.name])
        )
    assert account_id is not None
    return account_id


def _lease(sessions: sessionmaker[Session], account_id: int, owner: str, left: timedelta) -> None:
    with sessions.begin() as session:
        session.merge(AccountLease(account_id=account_id, owner=owner, expires_at=utcnow() + left))


def test_a_queued_message_of_an_account_leased_elsewhere_is_left_to_its_holder(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
    services: dict[str, int],
) -> None:
    made = make_integration()
    queued = _post(client, made.key, 0)
    account_id = _account(sessions, services)
    _lease(sessions, account_id, "altro-worker", timedelta(minutes=1))
    with sessions.begin() as session:
        assert claim_queued(session, "questo-worker", utcnow(), 10) == []
    _lease(sessions, account_id, "altro-worker", timedelta(seconds=-1))  # it died
    with sessions.begin() as session:
        claimed = claim_queued(session, "questo-worker", utcnow(), 10)
    assert [(c.notification_id, c.account_id) for c in claimed] == [(queued, account_id)]


def test_the_lease_holder_sends_the_queue_with_its_own_limiter_before_status_reads(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
    services: dict[str, int],
    keybox: KeyBox,
) -> None:
    made = make_integration()
    account_id = _account(sessions, services)
    with sessions.begin() as session:  # a limit (the fixture's accounts have none): a budget
        session.execute(
            update(IoAccount)
            .where(IoAccount.id == account_id)
            .values(rate_limit_requests=10_000, rate_limit_window_seconds=1)
        )
    first = _post(client, made.key, 0)
    _work(sessions, keybox)  # sent with no worker on the account: booked on the budget
    with sessions() as session:
        budget = session.get(AccountBudget, account_id)
        booked_before = budget.bookings if budget is not None else 0
    assert booked_before == 2  # its profile check and its send
    # Its status is due: the account has work, a worker takes its lease.
    with sessions.begin() as session:
        session.execute(
            update(Notification)
            .where(Notification.id == first)
            .values(next_status_check_at=utcnow() - timedelta(seconds=1))
        )
    queued = [_post(client, made.key, i) for i in range(1, BATCH + 6)]
    record = in_process_simulator().record
    seen = len(record.requests)

    _work(sessions, keybox)

    with sessions() as session:
        outcomes = session.scalars(select(Notification.outcome).where(Notification.id.in_(queued)))
        assert set(outcomes) == {Outcome.ACCEPTED}
        budget = session.get(AccountBudget, account_id)
        booked_after = budget.bookings if budget is not None else 0
    # Through the lease holder's limiter: not one booking on the shared budget.
    assert booked_after == booked_before
    operations = [r.operation for r in record.requests[seen:] if r.status < 400]
    assert operations.count(SEND_OPERATION) == len(queued)
    assert STATUS_READ in operations
    # The status read waited while messages were queued: at least the first batch had gone.
    sends_before_read = operations[: operations.index(STATUS_READ)].count(SEND_OPERATION)
    assert sends_before_read >= BATCH
