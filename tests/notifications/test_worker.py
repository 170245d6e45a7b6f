"""The worker treats single messages like a flow's rows: it reads their status on IO, and it
gives an interrupted send an outcome the operator can act on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import Outcome
from appio_core.io.http import in_process_simulator
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig
from appio_core.storage.models import Notification, utcnow


def _dispatcher(sessions: sessionmaker[Session], keybox: KeyBox) -> Dispatcher:
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=in_process_simulator()), base_url="http://simulator"
    )
    config = DispatcherConfig(idle_sleep=0.01, status_first_check=0.0, status_min_interval=0.0)
    return Dispatcher(sessions, keybox, "http://simulator/api/v1", config, http=http)


def test_the_worker_reads_the_status_of_a_single_message(
    send: Callable[..., SingleResult],
    operator: Actor,
    message: NewNotification,
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:
    result = send(operator, message)
    in_process_simulator().record.messages[str(result.io_message_id)].accepted_at -= 3600
    with sessions.begin() as session:
        session.execute(
            update(Notification)
            .where(Notification.id == result.id)
            .values(next_status_check_at=utcnow() - timedelta(seconds=1))
        )
    asyncio.run(_dispatcher(sessions, keybox).run(once=True))  # send_new runs its own loop
    with sessions() as session:
        row = session.get(Notification, result.id)
        assert row is not None
        assert (row.outcome, row.io_status) == (Outcome.DELIVERED, "PROCESSED")
        assert row.next_status_check_at is None  # IO's status is final: no more reads


async def test_the_worker_recovers_a_single_send_cut_by_a_crash(
    message: NewNotification, sessions: sessionmaker[Session], keybox: KeyBox
) -> None:
    long_ago = utcnow() - timedelta(minutes=30)
    with sessions.begin() as session:
        row = Notification(
            service_id=message.service_id,
            created_by="mrossi",
            fiscal_code=message.fiscal_code,
            subject=message.subject,
            markdown=message.text,
            outcome=Outcome.SENDING,
            send_started_at=long_ago,
            updated_at=long_ago,
        )
        session.add(row)
    await _dispatcher(sessions, keybox).run(once=True)
    with sessions() as session:
        recovered = session.get(Notification, row.id)
        assert recovered is not None and recovered.outcome == Outcome.UNCERTAIN
    assert in_process_simulator().record.messages == {}  # nothing was sent again
