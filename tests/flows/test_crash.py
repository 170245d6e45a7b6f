"""Crash safety: real worker processes killed with SIGKILL while they send.

Whatever the moment of the kill, every recipient ends with a final outcome, no citizen
gets a message twice, and the «esito incerto» rows are the only ones whose message may or
may not exist. Checked against the record of a real `appio simulator` process.

Every other kill lands mid-send by construction: the simulator holds the next message
request, the worker is killed once the simulator has it, then the request is let go (IO
processes it: the citizen gets the message the row cannot know about). The kills in
between land at a random moment (claiming, committing, between chunks, mid-send), at a
random point of the flow. After each kill the dead worker's lease is run out by hand (the
test does not wait the lease's 105 s), and only then may another worker take over: the
sends it cut off are counted before anyone can recover them.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.domain import Outcome
from appio_core.sending.store import CRASHED_DURING_SEND

from .conftest import fiscal_codes, simulator_process
from .processes import (
    Simulator,
    backends_gone,
    check_exactly_once,
    done_rows,
    finished,
    in_flight,
    no_pacing,
    rows_by_code,
    run_out,
    start_flow,
    start_worker,
    stop_worker,
    wait_for,
    worker_env,
)

pytestmark = pytest.mark.slow
KILLS = 6


@pytest.fixture
def simulator_url() -> Iterator[str]:
    with simulator_process(
        "--no-rate-limit", "--processing-delay", "0", "--latency", "0.02"
    ) as url:
        yield url


def _run_with_kills(
    simulator: Simulator,
    env: dict[str, str],
    sessions: sessionmaker[Session],
    flow_ids: list[int],
    total: int,
    workers: int,
    seed: int,
) -> tuple[list[int], list[str]]:
    """Runs `workers` worker processes and SIGKILLs one KILLS times, at random points of
    the flows (each kill before 80% of the rows have an outcome, so that every kill finds
    sending to do); the even ones while the simulator holds a send of the victim's. Then
    lets them finish. Returns, for each kill, how many sends it cut off, and the citizens
    whose held send was cut off."""
    rng = random.Random(seed)
    running = [start_worker(env) for _ in range(workers)]
    cut_off: list[int] = []
    held: list[str] = []
    marks = sorted(rng.uniform(0.05, 0.8) * total for _ in range(KILLS))
    try:
        for kill, mark in enumerate(marks):
            wait_for(lambda m=mark: done_rows(sessions, flow_ids) >= m, f"{mark:.0f} rows done")
            if kill % 2 == 0:
                simulator.hold(count=1)
                wait_for(lambda: simulator.held(), "a send in flight, held by IO")
                (code,) = simulator.held()
                owner = rows_by_code(sessions, flow_ids)[code].worker_id
                assert owner is not None
                victim = next(i for i, p in enumerate(running) if f"-{p.pid}-" in owner)
                held.append(code)
            else:
                victim = rng.randrange(workers)
                time.sleep(rng.uniform(0, 0.05))
            _kill(running[victim])
            backends_gone(sessions, running[victim].pid)
            # Nobody can take its account over before its lease is run out (below).
            cut_off.append(in_flight(sessions, running[victim].pid))
            simulator.release()
            run_out(sessions, running[victim].pid)
            running[victim] = start_worker(env)
        wait_for(lambda: finished(sessions, flow_ids), "the flows finished")
    finally:
        for process in running:
            stop_worker(process)
    return cut_off, held


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def _check(
    simulator: Simulator,
    sessions: sessionmaker[Session],
    flow_ids: list[int],
    total: int,
    cut_off: list[int],
    held: list[str],
) -> dict[str, int]:
    rows = rows_by_code(sessions, flow_ids)
    sends = simulator.sends()
    tally = check_exactly_once(sends, rows.values())
    assert sum(tally.values()) == total
    # Each held kill cut a send off: that citizen's row is «esito incerto» (the worker
    # died after the request left), and IO did create the message.
    assert all(cut_off[i] >= 1 for i in range(0, KILLS, 2)), cut_off
    for code in held:
        assert (rows[code].outcome, rows[code].error_detail) == (
            Outcome.UNCERTAIN,
            CRASHED_DURING_SEND,
        ), code
        assert len(sends[code]) == 1, code
    # The sends cut off, and only they, became «esito incerto» when the next worker took
    # the account over.
    crashed = [r for r in rows.values() if r.error_detail == CRASHED_DURING_SEND]
    assert len(crashed) == sum(cut_off)
    assert all(r.outcome == Outcome.UNCERTAIN for r in crashed)
    return tally


@pytest.mark.backends("sqlite")  # SQLite runs one worker; PostgreSQL: the test below
def test_a_worker_killed_at_random_moments_never_loses_or_repeats_a_message(
    app_env: str,
    sessions: sessionmaker[Session],
    session: Session,
    demo: dict[str, int],
    simulator_url: str,
) -> None:
    simulator = Simulator(simulator_url)
    no_pacing(session, demo)
    flow_id = start_flow(session, demo["Tributi - TARI"], fiscal_codes(3000, seed=11), "crash")
    env = worker_env(simulator_url)
    cut_off, held = _run_with_kills(simulator, env, sessions, [flow_id], 3000, workers=1, seed=5)
    tally = _check(simulator, sessions, [flow_id], 3000, cut_off, held)
    print(f"sends cut off by each kill={cut_off} outcomes={tally}")


@pytest.mark.backends("postgres")
def test_three_workers_on_postgresql_share_the_work_and_survive_kills(
    app_env: str,
    sessions: sessionmaker[Session],
    session: Session,
    demo: dict[str, int],
    simulator_url: str,
) -> None:
    simulator = Simulator(simulator_url)
    no_pacing(session, demo, second_account=True)
    first = start_flow(session, demo["Tributi - TARI"], fiscal_codes(2000, seed=21), "a")
    second = start_flow(
        session, demo["Servizi scolastici - Mensa"], fiscal_codes(2000, seed=22), "b"
    )
    env = worker_env(simulator_url)
    flows = [first, second]
    cut_off, held = _run_with_kills(simulator, env, sessions, flows, 4000, workers=3, seed=9)
    tally = _check(simulator, sessions, flows, 4000, cut_off, held)
    print(f"sends cut off by each kill={cut_off} outcomes={tally}")
