"""Workers side by side: heartbeats, request counts, the fair share of the accounts, the
takeover of a dead worker's accounts, and what «Stato del sistema» reads of them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import FINISHED_STATES, Outcome, Role
from appio_core.errors import PermissionDenied
from appio_core.flows import actions, importing
from appio_core.io.simulator import Kind, create_app
from appio_core.io.simulator.app import SimulatorApp
from appio_core.io.simulator.config import Faults, SimulatorConfig
from appio_core.io.tally import RequestTally
from appio_core.sending.dispatcher import Dispatcher
from appio_core.sending.sharing import fair_share, plan_share
from appio_core.sending.system_status import WorkerState, system_status
from appio_core.storage.models import Flow, IoAccount, Notification, Service, utcnow
from appio_core.storage.runtime_models import AccountLease, AccountRequestCount, WorkerHeartbeat

from .conftest import TEXT, assert_sent_exactly_once, fiscal_codes, recipient_csv
from .scale import add_services, sim_accounts, sim_services

ACCOUNTS = 6


def start_flow(session: Session, service_id: int, codes: list[str], name: str) -> int:
    actor = Actor.system()
    flow = importing.import_flow(
        session,
        actor,
        service_id=service_id,
        name=name,
        natura="Comunicazione",
        source=recipient_csv(codes),
        filename=f"{name}.csv",
        templates=importing.Templates(subject="Avviso per {{nome}}", text=TEXT),
    )
    actions.activate(session, actor, flow.id)
    actions.send(session, actor, flow.id)
    session.commit()
    return flow.id


def scale_simulator(latency: float = 0.0) -> SimulatorApp:
    return create_app(
        SimulatorConfig(
            services=sim_services(ACCOUNTS),
            accounts=sim_accounts(ACCOUNTS, 150, 5.0),
            rate_limit=False,
            processing_delay=0.0,
            faults=Faults(latency=latency),
        )
    )


@pytest.fixture
def flows(session: Session, keybox: KeyBox) -> list[int]:
    """Six accounts with a service each (no pacing on our side), a flow «In invio» each."""
    service_ids = add_services(session, keybox, ACCOUNTS, requests=0, window=5)
    return [
        start_flow(session, service_id, fiscal_codes(120, seed=100 + i), f"flusso-{i}")
        for i, service_id in enumerate(service_ids)
    ]


# -- the share -----------------------------------------------------------------------------


def test_the_share_is_the_accounts_divided_by_the_workers_rounded_up() -> None:
    assert [fair_share(6, n) for n in (0, 1, 2, 3, 4, 6, 7)] == [6, 6, 3, 2, 2, 1, 1]
    assert fair_share(0, 3) == 0


def test_a_worker_above_its_share_gives_up_its_highest_accounts_and_those_without_work() -> None:
    plan = plan_share([1, 2, 3, 4, 5, 6], held={1, 2, 3, 4, 5, 6, 9}, workers=3)
    assert (plan.share, plan.keep, plan.give_up, plan.candidates) == (
        2,
        [1, 2],
        [3, 4, 5, 6, 9],
        [],
    )


def test_a_worker_below_its_share_tries_the_accounts_it_does_not_hold() -> None:
    plan = plan_share([1, 2, 3, 4, 5, 6], held={4}, workers=3)
    assert (plan.keep, plan.give_up, plan.candidates) == ([4], [], [1, 2, 3, 5, 6])
    full = plan_share([1, 2, 3, 4, 5, 6], held={4, 5}, workers=3)
    assert full.candidates == []


def test_the_tally_counts_requests_and_429s_by_minute_and_starts_again_when_taken() -> None:
    now = [120.0]
    tally = RequestTally(clock=lambda: now[0])
    for status in (200, 201, 429):
        tally.count(status)
    now[0] = 185.0
    tally.count(429)
    assert tally.take() == {2: (3, 1), 3: (1, 1)}
    assert tally.take() == {}


# -- workers side by side ------------------------------------------------------------------


def _final(sessions: sessionmaker[Session], flow_ids: list[int]) -> bool:
    with sessions() as session:
        states = session.query(Flow.state).filter(Flow.id.in_(flow_ids)).all()
        return all(state in FINISHED_STATES for (state,) in states)


# A guard against a test that hangs, not a measure of time: what is awaited must happen.
GUARD_SECONDS = 60


async def _until(condition: Callable[[], bool], seconds: float = GUARD_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def _hold_the_last_send_of_each_flow(
    app: SimulatorApp, sessions: sessionmaker[Session], flow_ids: list[int]
) -> None:
    """The simulator holds the last message of each flow (its last citizen on IO): no flow
    can finish, nor any account run out of work, before the test releases them."""
    with sessions() as session:
        for flow_id in flow_ids:
            flow = session.get(Flow, flow_id)
            assert flow is not None
            service = session.get(Service, flow.service_id)
            assert service is not None
            codes = session.scalars(
                select(Notification.fiscal_code)
                .where(Notification.flow_id == flow_id)
                .order_by(Notification.id.desc())
            )
            app.holds.arm(
                [
                    next(
                        code
                        for code in codes
                        if app.population.kind(code, service.io_service_id) == Kind.WITH_IO
                    )
                ]
            )


async def test_three_workers_hold_two_accounts_each_and_take_a_dead_ones_over(
    sessions: sessionmaker[Session],
    session: Session,
    flows: list[int],
    make_dispatcher: Callable[..., Dispatcher],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = scale_simulator(latency=0.05)
    _hold_the_last_send_of_each_flow(app, sessions, flows)
    lease = 1.0
    workers = [
        make_dispatcher(
            app,
            lease_seconds=lease,
            batch_size=20,
            concurrency=4,
            idle_sleep=0.05,
            status_first_check=3600.0,
        )
        for _ in range(3)
    ]
    stop = False
    runs = [asyncio.create_task(w.run(lambda: stop)) for w in workers]
    try:
        # The first worker starts alone and takes every account; it gives four up as the
        # two others appear. (No flow can end meanwhile: the simulator holds their last
        # messages.)
        assert await _until(lambda: [len(w.leases.held) for w in workers] == [2, 2, 2]), [
            w.leases.held for w in workers
        ]
        assert len(set().union(*(w.leases.held for w in workers))) == ACCOUNTS
        assert not _final(sessions, flows)

        # A worker dies: no clean stop, its leases and heartbeat are simply left to expire.
        victim, survivors = workers[0], workers[1:]
        orphaned = set(victim.leases.held)

        async def no_clean_stop() -> None:
            return None

        monkeypatch.setattr(victim, "close", no_clean_stop)
        runs[0].cancel()
        with sessions() as read:
            expiry = max(
                lease.expires_at
                for lease in read.scalars(select(AccountLease))
                if lease.account_id in orphaned and lease.expires_at is not None
            )
        taken = await _until(lambda: orphaned <= set().union(*(w.leases.held for w in survivors)))
        assert taken, [w.leases.held for w in survivors]
        # Taken over once the dead worker's leases had expired, never before (how soon
        # after: bench/bench_scale.py); its heartbeat went stale too, so each survivor's
        # share is half the accounts.
        assert utcnow() > expiry
        assert [len(w.leases.held) for w in survivors] == [3, 3]

        app.holds.release()
        assert await _until(lambda: _final(sessions, flows))
    finally:
        stop = True
        await asyncio.gather(*runs, return_exceptions=True)

    session.expire_all()
    rows = session.query(Notification).filter(Notification.flow_id.in_(flows)).all()
    assert len(rows) == ACCOUNTS * 120
    assert {r.outcome for r in rows}.isdisjoint({Outcome.PENDING, Outcome.SENDING})
    assert_sent_exactly_once(app.record, rows)


async def test_a_worker_records_its_heartbeat_and_the_requests_of_each_account(
    session: Session,
    flows: list[int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    app = scale_simulator()
    worker = make_dispatcher(app, status_first_check=3600.0)
    await worker.run(once=True)

    session.expire_all()
    beat = session.get(WorkerHeartbeat, worker.worker_id)
    assert beat is not None
    assert beat.stopped_at is not None and beat.accounts == ""
    assert beat.started_at <= beat.last_seen_at
    counted = {row.account_id: row.requests for row in session.query(AccountRequestCount).all()}
    names = {a.id: a.name for a in session.query(IoAccount)}
    by_account: dict[str, int] = {}
    services = {s.service_id: s.account for s in sim_services(ACCOUNTS)}
    for entry in app.record.requests:
        assert entry.service_id is not None
        account = services[entry.service_id]
        by_account[account] = by_account.get(account, 0) + 1
    assert {names[a]: n for a, n in counted.items()} == by_account
    assert all(row.throttled == 0 for row in session.query(AccountRequestCount))


# -- «Stato del sistema» -------------------------------------------------------------------

NOW = datetime(2026, 11, 30, 18, 30, 20, tzinfo=UTC)


def _beat(
    worker_id: str, seen: timedelta, stopped: bool = False, accounts: str = ""
) -> WorkerHeartbeat:
    last = NOW - seen
    return WorkerHeartbeat(
        worker_id=worker_id,
        host="srv-invii",
        pid=4242,
        started_at=NOW - timedelta(hours=1),
        last_seen_at=last,
        alive_until=last + timedelta(seconds=30),
        stopped_at=last if stopped else None,
        accounts=accounts,
    )


def test_the_status_tells_live_silent_and_stopped_workers_and_the_leases(
    session: Session, flows: list[int]
) -> None:
    ids = {a.name: a.id for a in session.query(IoAccount)}
    first, second = ids["ente-01"], ids["ente-02"]
    session.add_all(
        [
            _beat("srv-1-aaa", timedelta(seconds=3), accounts=f"{first},{second}"),
            _beat("srv-2-bbb", timedelta(minutes=5)),
            _beat("srv-3-ccc", timedelta(minutes=1), stopped=True),
            AccountLease(
                account_id=first, owner="srv-1-aaa", expires_at=NOW + timedelta(seconds=20)
            ),
            AccountLease(
                account_id=second, owner="srv-2-bbb", expires_at=NOW - timedelta(minutes=4)
            ),
            AccountLease(account_id=ids["ente-03"], owner=None, expires_at=None),
        ]
    )
    session.commit()
    status = system_status(session, Actor.system(), NOW)
    assert [(w.worker_id, w.state) for w in status.workers] == [
        ("srv-1-aaa", WorkerState.ALIVE),
        ("srv-2-bbb", WorkerState.SILENT),
        ("srv-3-ccc", WorkerState.STOPPED),
    ]
    assert status.workers[0].accounts == ("ente-01", "ente-02")
    assert [(lease.account, lease.owner, lease.valid) for lease in status.leases] == [
        ("ente-01", "srv-1-aaa", True),
        ("ente-02", "srv-2-bbb", False),
        ("ente-03", None, False),
    ]


def test_the_status_gives_each_account_its_queue_rate_against_the_limit_and_429s(
    session: Session, flows: list[int]
) -> None:
    account = session.query(IoAccount).filter_by(name="ente-01").one()
    account.rate_limit_requests, account.rate_limit_window_seconds = 150, 5
    minute = NOW.replace(second=0)
    counts = [
        (minute, 600, 1),  # this minute, 20 s into it
        (minute - timedelta(minutes=5), 1740, 2),  # the oldest minute of the rate
        (minute - timedelta(minutes=6), 1800, 4),  # before the rate, within the hour
        (minute - timedelta(minutes=61), 1800, 50),  # more than an hour ago
    ]
    session.add_all(
        AccountRequestCount(account_id=account.id, minute=m, requests=r, throttled=t)
        for m, r, t in counts
    )
    session.commit()
    load = next(
        a for a in system_status(session, Actor.system(), NOW).accounts if a.account == "ente-01"
    )
    assert load.to_send == 120  # nothing sent yet
    assert load.rate_per_second == pytest.approx((600 + 1740) / (5 * 60 + 20))
    assert load.limit_per_second == 30
    assert load.limit_share == pytest.approx(load.rate_per_second / 30)
    assert (load.throttled_last_hour, load.requests_last_hour) == (7, 4140)
    unlimited = next(
        a for a in system_status(session, Actor.system(), NOW).accounts if a.account == "ente-02"
    )
    assert (unlimited.limit_per_second, unlimited.limit_share, unlimited.rate_per_second) == (
        None,
        None,
        0,
    )


def test_only_an_administrator_reads_the_status(session: Session) -> None:
    operator = Actor(id=7, username="mrossi", role=Role.OPERATOR, full_name="Mario Rossi")
    with pytest.raises(PermissionDenied, match="amministratore"):
        system_status(session, operator, NOW)
