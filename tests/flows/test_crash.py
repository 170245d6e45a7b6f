"""Crash safety: real worker processes killed with SIGKILL while they send.

Whatever the moment of the kill, every recipient ends with a final outcome, no citizen
gets a message twice, and the «esito incerto» rows are the only ones whose message may or
may not exist. Checked against the record of a real `appio simulator` process.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.domain import FINISHED_STATES, Outcome
from appio_core.flows import actions, importing, queries
from appio_core.storage.models import IoAccount, Notification, Service

from .conftest import TEXT, fiscal_codes, recipient_csv, simulator_process

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


@pytest.fixture
def simulator_url(tmp_path: Path) -> Iterator[str]:
    with simulator_process(
        "--no-rate-limit", "--processing-delay", "0", "--latency", "0.02"
    ) as url:
        yield url


def _worker_env(app_env: str, simulator_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "APPIO_IO_BASE_URL": f"{simulator_url}/api/v1",
        "APPIO_WORKER_LEASE_SECONDS": "1",
        "APPIO_WORKER_BATCH_SIZE": "150",
        "APPIO_WORKER_CONCURRENCY": "24",
        "APPIO_WORKER_IDLE_SECONDS": "0.1",
        "APPIO_STATUS_FIRST_CHECK_SECONDS": "3600",
    }


def _start_flow(session: Session, service_id: int, codes: list[str], name: str) -> int:
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


def _finished(sessions: sessionmaker[Session], flow_ids: list[int]) -> bool:
    with sessions() as session:
        return all(
            queries.get_flow(session, Actor.system(), f).state in FINISHED_STATES for f in flow_ids
        )


def _in_flight(sessions: sessionmaker[Session], pid: int) -> int:
    """Rows whose send the dead worker `pid` had started and not recorded: posted to IO
    (or about to be) when it died."""
    with sessions() as session:
        return (
            session.query(Notification)
            .filter(
                Notification.outcome == Outcome.SENDING,
                Notification.send_started_at.is_not(None),
                Notification.worker_id.like(f"%-{pid}-%"),  # see sending.config.new_worker_id
            )
            .count()
        )


def _run_with_kills(
    env: dict[str, str],
    sessions: sessionmaker[Session],
    flow_ids: list[int],
    workers: int,
    kills: int,
    seed: int,
) -> list[int]:
    """Runs `workers` worker processes, SIGKILLing one at random moments `kills` times,
    then lets them finish. Returns, for each kill, how many sends it cut off."""
    rng = random.Random(seed)
    running = [subprocess.Popen([BIN / "appio", "worker"], env=env) for _ in range(workers)]
    cut_off: list[int] = []
    try:
        while len(cut_off) < kills and not _finished(sessions, flow_ids):
            time.sleep(rng.uniform(1.2, 2.5))  # the lease is 1 s: let it work
            # The victim is a worker with sends in flight: with the fair share some workers
            # hold no account (3 workers, 2 accounts), and on a busy machine a fresh worker
            # may still be importing. Wait (a little) for one, so that the kill tests what it
            # is meant to test.
            deadline = time.monotonic() + 5
            sending: list[int] = []
            while not sending and time.monotonic() < deadline:
                sending = [i for i, p in enumerate(running) if _in_flight(sessions, p.pid)]
                time.sleep(0.01)
            victim = rng.choice(sending) if sending else rng.randrange(workers)
            time.sleep(rng.uniform(0, 0.02))
            running[victim].send_signal(signal.SIGKILL)
            running[victim].wait()
            # Before anyone takes its account over (the lease lasts 1 s more).
            cut_off.append(_in_flight(sessions, running[victim].pid))
            running[victim] = subprocess.Popen([BIN / "appio", "worker"], env=env)
        deadline = time.monotonic() + 240
        while not _finished(sessions, flow_ids):
            assert time.monotonic() < deadline, "the flows did not finish in time"
            time.sleep(0.3)
    finally:
        for process in running:
            process.kill()
            process.wait()
    return cut_off


def _check_exactly_once(
    sessions: sessionmaker[Session], simulator_url: str, flow_ids: list[int]
) -> dict[str, int]:
    record = httpx.get(f"{simulator_url}/__simulator/record", timeout=30).json()
    by_code: dict[str, list[str]] = {}
    for message in record["messages"]:
        by_code.setdefault(message["fiscal_code"], []).append(message["id"])
    twice = {cf: ids for cf, ids in by_code.items() if len(ids) > 1}
    assert twice == {}, f"{len(twice)} citizens got a message twice"
    tally: dict[str, int] = {}
    with sessions() as session:
        rows = session.query(Notification).filter(Notification.flow_id.in_(flow_ids)).all()
        for row in rows:
            tally[row.outcome] = tally.get(row.outcome, 0) + 1
            got = by_code.get(row.fiscal_code, [])
            if row.outcome in (Outcome.ACCEPTED, Outcome.DELIVERED):
                assert got == [row.io_message_id], row.fiscal_code  # none lost
            elif row.outcome == Outcome.UNCERTAIN:
                assert len(got) <= 1
            else:
                assert row.outcome not in (Outcome.PENDING, Outcome.SENDING)
                assert got == [], (row.fiscal_code, row.outcome)
    return tally


def _prepare(session: Session, demo: dict[str, int], second_account: bool) -> None:
    for account in session.query(IoAccount):
        account.rate_limit_requests = 0  # the simulator runs without its limit
    if second_account:
        mensa = session.get(Service, demo["Servizi scolastici - Mensa"])
        assert mensa is not None
        mensa.account = IoAccount(name="scuole", rate_limit_requests=0)
    session.commit()


@pytest.mark.backends("sqlite")  # SQLite runs one worker; PostgreSQL: the test below
def test_a_worker_killed_at_random_moments_never_loses_or_repeats_a_message(
    app_env: str,
    sessions: sessionmaker[Session],
    session: Session,
    demo: dict[str, int],
    simulator_url: str,
) -> None:
    _prepare(session, demo, second_account=False)
    flow_id = _start_flow(session, demo["Tributi - TARI"], fiscal_codes(3000, seed=11), "crash")
    env = _worker_env(app_env, simulator_url)
    cut_off = _run_with_kills(env, sessions, [flow_id], workers=1, kills=6, seed=5)
    tally = _check_exactly_once(sessions, simulator_url, [flow_id])
    assert len(cut_off) >= 3
    assert any(cut_off), f"no kill landed while a send was in flight: {cut_off}"
    assert sum(tally.values()) == 3000
    # The sends cut off, and only they, became «esito incerto» when the next worker took
    # the account over.
    assert tally.get(Outcome.UNCERTAIN, 0) == sum(cut_off)
    print(f"sends cut off by each kill={cut_off} outcomes={tally}")


@pytest.mark.backends("postgres")
def test_three_workers_on_postgresql_share_the_work_and_survive_kills(
    app_env: str,
    sessions: sessionmaker[Session],
    session: Session,
    demo: dict[str, int],
    simulator_url: str,
) -> None:
    _prepare(session, demo, second_account=True)
    first = _start_flow(session, demo["Tributi - TARI"], fiscal_codes(2000, seed=21), "a")
    second = _start_flow(
        session, demo["Servizi scolastici - Mensa"], fiscal_codes(2000, seed=22), "b"
    )
    env = _worker_env(app_env, simulator_url)
    cut_off = _run_with_kills(env, sessions, [first, second], workers=3, kills=6, seed=9)
    tally = _check_exactly_once(sessions, simulator_url, [first, second])
    assert len(cut_off) >= 3
    assert any(cut_off), f"no kill landed while a send was in flight: {cut_off}"
    assert sum(tally.values()) == 4000
    # Another worker may take an account over before the count: at least these.
    assert tally.get(Outcome.UNCERTAIN, 0) >= sum(cut_off)
    print(f"sends cut off by each kill={cut_off} outcomes={tally}")
