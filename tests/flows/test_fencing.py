"""A worker whose request outlives its lease, in-process, with the simulator holding the
request until the test releases it:

- while the request is held the lease is renewed, so nobody takes the account over;
- a renewal that finds the lease taken stops the account's work, and nothing is written;
- an answer that comes back after another worker took the account over, and an operator
  chose «Reinvia», is not written over what happened meanwhile (the fence).

tests/flows/test_fencing_workers.py does the same with `appio worker` processes on
PostgreSQL and a frozen worker; the settings of the lease are at the end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.config import ConfigError
from appio_core.domain import Outcome
from appio_core.errors import InvalidInput
from appio_core.flows import actions
from appio_core.io.http import AiohttpIo, make_http_client
from appio_core.io.simulator import Kind
from appio_core.io.simulator.app import SimulatorApp
from appio_core.sending.config import DispatcherConfig
from appio_core.sending.dispatcher import Dispatcher
from appio_core.sending.store import CRASHED_DURING_SEND
from appio_core.storage.models import Notification, Service, utcnow
from appio_core.storage.runtime_models import AccountLease

from .conftest import TRIBUTI_IO_ID, imported_flow

# A guard against a test that hangs, not a measure of time: what is awaited must happen.
GUARD_SECONDS = 60


async def _until(condition: Callable[[], object], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GUARD_SECONDS
    while not condition():
        assert loop.time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.01)


def _on_io(simulator: SimulatorApp, count: int) -> list[str]:
    return simulator.population.find(Kind.WITH_IO, TRIBUTI_IO_ID, count)


def _sending(session: Session, operator: Actor, service_id: int, codes: list[str]) -> int:
    """A flow «In invio», without the profile check (the sends are what is held)."""
    flow = imported_flow(session, operator, service_id, codes)
    flow.check_profile = False
    actions.activate(session, operator, flow.id)
    actions.send(session, operator, flow.id)
    session.commit()
    return flow.id


def _rows(sessions: sessionmaker[Session], flow_id: int) -> dict[str, Notification]:
    with sessions() as session:
        rows = session.scalars(select(Notification).where(Notification.flow_id == flow_id))
        return {row.fiscal_code: row for row in rows}


def _lease(sessions: sessionmaker[Session], service_id: int) -> AccountLease:
    with sessions() as session:
        service = session.get(Service, service_id)
        assert service is not None
        lease = session.get(AccountLease, service.account_id)
        assert lease is not None
        return lease


def _expiry(sessions: sessionmaker[Session], service_id: int) -> datetime:
    expires = _lease(sessions, service_id).expires_at
    assert expires is not None
    return expires


async def test_a_request_that_outlives_the_lease_keeps_its_account(
    session: Session,
    sessions: sessionmaker[Session],
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    service_id = demo["Tributi - TARI"]
    (code,) = _on_io(simulator, 1)
    flow_id = _sending(session, operator, service_id, [code])
    simulator.holds.arm([code])
    lease = 1.0
    worker = make_dispatcher(lease_seconds=lease, status_first_check=3600.0)
    working = asyncio.create_task(worker.tick())
    await _until(lambda: simulator.holds.held, "the send reached the simulator")
    started_under = _expiry(sessions, service_id)

    # The request is still held after more than a whole lease: renewals went on meanwhile.
    await _until(
        lambda: _expiry(sessions, service_id) > started_under + timedelta(seconds=lease),
        "the lease renewed while the request is in flight",
    )
    assert simulator.holds.held and not working.done()
    assert _lease(sessions, service_id).owner == worker.worker_id

    simulator.holds.release()
    await working
    row = _rows(sessions, flow_id)[code]
    assert (row.outcome, row.attempts) == (Outcome.ACCEPTED, 1)
    assert simulator.record.sends_by_fiscal_code() == {code: [row.io_message_id]}


async def test_a_renewal_that_finds_the_lease_taken_stops_the_work_and_writes_nothing(
    session: Session,
    sessions: sessionmaker[Session],
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
    caplog: pytest.LogCaptureFixture,
) -> None:
    service_id = demo["Tributi - TARI"]
    (code,) = _on_io(simulator, 1)
    flow_id = _sending(session, operator, service_id, [code])
    simulator.holds.arm([code])
    worker = make_dispatcher(lease_seconds=1.0, status_first_check=3600.0)
    working = asyncio.create_task(worker.tick())
    await _until(lambda: simulator.holds.held, "the send reached the simulator")
    before = _rows(sessions, flow_id)[code]

    # Another worker has the account now (this one stalled past its lease, say).
    with sessions.begin() as other:
        other.execute(
            update(AccountLease)
            .where(AccountLease.owner == worker.worker_id)
            .values(owner="worker-b", expires_at=utcnow() + timedelta(hours=1))
        )
    with caplog.at_level(logging.WARNING, logger="appio_core.sending.leases"):
        await _until(working.done, "the work stopped")
    assert working.result() is True  # the round ended normally: only that account stopped

    assert worker.leases.held == set()
    assert "found the lease of account" in caplog.text
    # The request was dropped with the work, unanswered; the row is as the send left it,
    # for the new holder to recover.
    assert simulator.holds.held == [] and simulator.record.sends_by_fiscal_code() == {}
    after = _rows(sessions, flow_id)[code]
    assert (after.outcome, after.worker_id, after.send_started_at, after.updated_at) == (
        Outcome.SENDING,
        worker.worker_id,
        before.send_started_at,
        before.updated_at,
    )


async def test_a_late_answer_after_a_takeover_and_a_resend_is_dropped(
    session: Session,
    sessions: sessionmaker[Session],
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
    caplog: pytest.LogCaptureFixture,
) -> None:
    service_id = demo["Tributi - TARI"]
    held, answered = _on_io(simulator, 2)
    flow_id = _sending(session, operator, service_id, [held, answered])
    simulator.holds.arm([held])
    # Long leases: no renewal runs during the test, so A comes back with its answers and
    # writes them, as a worker stalled past its lease does.
    a = make_dispatcher(lease_seconds=300.0, status_first_check=3600.0)
    b = make_dispatcher(lease_seconds=300.0, status_first_check=3600.0)
    late = asyncio.create_task(a.tick())
    await _until(lambda: simulator.holds.held, "A's send reached the simulator")
    await _until(lambda: answered in simulator.record.sends_by_fiscal_code(), "IO answered")

    # A's lease runs out (A stalled), B takes the account over: both rows «esito incerto».
    with sessions.begin() as expired:
        expired.execute(
            update(AccountLease)
            .where(AccountLease.owner == a.worker_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    await b.tick()
    rows = _rows(sessions, flow_id)
    assert {code: row.outcome for code, row in rows.items()} == {
        held: Outcome.UNCERTAIN,
        answered: Outcome.UNCERTAIN,
    }
    # The operator chooses «Reinvia» for the one IO never answered; B sends it again.
    with sessions.begin() as decision:
        actions.resend_uncertain(decision, operator, flow_id, [rows[held].id])
    await b.tick()
    decided = _rows(sessions, flow_id)
    assert decided[held].outcome == Outcome.ACCEPTED

    with caplog.at_level(logging.WARNING, logger="appio_core.sending.change_writes"):
        simulator.holds.release()  # A's answers come back: IO accepted both
        await late

    sends = simulator.record.sends_by_fiscal_code()
    first, second = sends[held]  # B's, then A's late one: «Reinvia» was the operator's choice
    assert decided[held].io_message_id == first
    after = _rows(sessions, flow_id)
    for code in (held, answered):
        assert (after[code].outcome, after[code].io_message_id, after[code].updated_at) == (
            decided[code].outcome,
            decided[code].io_message_id,
            decided[code].updated_at,
        ), code
    assert after[answered].error_detail == CRASHED_DURING_SEND
    assert sends[answered] == [sends[answered][0]]  # one message: «esito incerto» says maybe
    assert f"notification {after[held].id} is no longer {a.worker_id}'s" in caplog.text
    assert f"IO message id {second}" in caplog.text


# -- the lease's settings ------------------------------------------------------------------

LEASES: list[tuple[dict[str, str], float]] = [
    ({}, 105.0),  # three times connect (5 s) + IO's read timeout (30 s)
    ({"APPIO_IO_TIMEOUT_SECONDS": "10"}, 45.0),
    ({"APPIO_IO_TIMEOUT_SECONDS": "2", "APPIO_WORKER_LEASE_SECONDS": "3"}, 3.0),
    ({"APPIO_WORKER_LEASE_SECONDS": "31"}, 31.0),
]


@pytest.mark.parametrize(("env", "lease"), LEASES)
def test_the_lease_is_derived_from_ios_timeouts_unless_set(
    env: dict[str, str], lease: float
) -> None:
    assert DispatcherConfig.from_env(env).lease_seconds == lease


TOO_SHORT: list[tuple[dict[str, str], str]] = [
    (
        {"APPIO_WORKER_LEASE_SECONDS": "30"},
        "APPIO_WORKER_LEASE_SECONDS (30 s) deve essere più lungo dell'attesa di una risposta"
        " di IO (APPIO_IO_TIMEOUT_SECONDS, 30 s): un worker perderebbe l'account IO mentre"
        " aspetta una risposta. Togli l'impostazione (vale 105 s, tre volte una richiesta) o"
        " indica un valore più alto.",
    ),
    (
        {"APPIO_WORKER_LEASE_SECONDS": "1.5", "APPIO_IO_TIMEOUT_SECONDS": "2.5"},
        "APPIO_WORKER_LEASE_SECONDS (1,5 s) deve essere più lungo dell'attesa di una risposta"
        " di IO (APPIO_IO_TIMEOUT_SECONDS, 2,5 s): un worker perderebbe l'account IO mentre"
        " aspetta una risposta. Togli l'impostazione (vale 22,5 s, tre volte una richiesta) o"
        " indica un valore più alto.",
    ),
]


@pytest.mark.parametrize(("env", "message"), TOO_SHORT)
def test_a_lease_not_longer_than_ios_timeout_is_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        DispatcherConfig.from_env(env)
    assert refused.value.message == message


@pytest.mark.parametrize("value", ["0", "-3", "trenta", "inf"])
def test_an_io_timeout_that_is_not_a_positive_number_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        DispatcherConfig.from_env({"APPIO_IO_TIMEOUT_SECONDS": value})
    assert refused.value.message == (
        "APPIO_IO_TIMEOUT_SECONDS deve essere un numero di secondi maggiore di zero (per"
        f" esempio 30), non «{value}»."
    )


def test_ios_client_waits_for_an_answer_as_long_as_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPIO_IO_TIMEOUT_SECONDS", "12")
    http = make_http_client("https://api.io.pagopa.it/api/v1")
    assert isinstance(http, AiohttpIo) and http._read == 12.0
