"""Two `appio worker` processes on PostgreSQL, and IO that holds worker A's first sends
(the simulator's holds) while A is frozen (SIGSTOP) past its lease: worker B takes the
account over (A's sends in flight become «esito incerto»), an operator chooses «Reinvia»
for one of them, B sends it again; then A's requests are answered and A resumes.

Whatever A does when it comes back, nothing it had in flight is written over what
happened after the takeover, no citizen gets a message twice unless an operator chose to
send it again, and every row ends final or «esito incerto».
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.domain import Outcome
from appio_core.flows import actions
from appio_core.io.simulator import Kind, create_app, demo_config
from appio_core.storage.models import utcnow
from appio_core.storage.runtime_models import AccountLease

from .conftest import TRIBUTI_IO_ID, simulator_process
from .processes import (
    Simulator,
    check_exactly_once,
    finished,
    freeze,
    no_pacing,
    rows_by_code,
    start_flow,
    start_worker,
    stop_worker,
    wait_for,
    worker_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.backends("postgres")]

RECIPIENTS = 200
# Concurrency 8: each of A's two lanes posts a chunk of 4; holding the first 8 citizens
# holds both, so A is idle (no transaction open) while frozen.
CONCURRENCY = 8
HELD = 8


@pytest.fixture
def simulator_url() -> Iterator[str]:
    with simulator_process(
        "--no-rate-limit", "--processing-delay", "0", "--latency", "0.02"
    ) as url:
        yield url


# (case, the workers' settings, A's lease run out by the test rather than by the clock,
# A resumed before IO answers its requests, what A's log says of what it had in flight)
CASES = [
    (
        "A frozen past a real lease resumes while IO still holds its requests",
        {"APPIO_WORKER_LEASE_SECONDS": "6", "APPIO_IO_TIMEOUT_SECONDS": "5"},
        False,
        True,
        # Its renewal finds the lease taken, or its read timeouts come first and their
        # «esito incerto» is dropped: which of the two wins is the event loop's choice.
        ("found the lease of account", "late write dropped"),
    ),
    (
        "A's answers come back after the takeover and the resend: its writes are dropped",
        # No renewal runs while A waits (a third of 300 s): it comes back with IO's
        # answers and writes them, as a worker stalled past its lease does; the test runs
        # the lease out instead of waiting 300 s.
        {"APPIO_WORKER_LEASE_SECONDS": "300"},
        True,
        False,
        ("late write dropped",),
    ),
]


@pytest.mark.parametrize(
    ("case", "settings", "expire_by_hand", "resume_first", "logged"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_a_worker_stalled_past_its_lease_never_overwrites_what_came_after_the_takeover(
    app_env: str,
    sessions: sessionmaker[Session],
    session: Session,
    demo: dict[str, int],
    simulator_url: str,
    tmp_path: Path,
    case: str,
    settings: dict[str, str],
    expire_by_hand: bool,
    resume_first: bool,
    logged: tuple[str, ...],
) -> None:
    simulator = Simulator(simulator_url)
    no_pacing(session, demo)
    # Citizens on IO who accept the service (the served simulator's population is the
    # in-process one's: same seed), so that every row is sent.
    codes = create_app(demo_config()).population.find(Kind.WITH_IO, TRIBUTI_IO_ID, RECIPIENTS)
    flow_id = start_flow(session, demo["Tributi - TARI"], codes, "lenta")
    first, chosen = codes[:HELD], codes[0]
    simulator.hold(first)
    env = worker_env(
        simulator_url,
        APPIO_WORKER_BATCH_SIZE="50",
        APPIO_WORKER_CONCURRENCY=str(CONCURRENCY),
        **settings,
    )
    a_log = tmp_path / "worker-a.log"
    a = start_worker(env, a_log)
    b = None
    try:
        wait_for(lambda: len(simulator.held()) == HELD, "A's first sends held by IO")
        freeze(a, sessions)
        a_id = rows_by_code(sessions, [flow_id])[chosen].worker_id
        if expire_by_hand:
            with sessions.begin() as lease:
                lease.execute(
                    update(AccountLease)
                    .where(AccountLease.owner == a_id)
                    .values(expires_at=utcnow() - timedelta(seconds=1))
                )
        b = start_worker(env, tmp_path / "worker-b.log")
        wait_for(
            lambda: (
                {rows_by_code(sessions, [flow_id])[c].outcome for c in first} == {Outcome.UNCERTAIN}
            ),
            "B took the account over: A's sends «esito incerto»",
        )
        with sessions.begin() as decision:
            row_id = rows_by_code(sessions, [flow_id])[chosen].id
            actions.resend_uncertain(decision, Actor.system(), flow_id, [row_id])

        def resent() -> bool:
            row = rows_by_code(sessions, [flow_id])[chosen]
            return row.attempts == 2 and row.outcome not in (Outcome.PENDING, Outcome.SENDING)

        wait_for(resent, "B sent it again")
        decided = rows_by_code(sessions, [flow_id])

        def overwritten() -> bool:
            now = rows_by_code(sessions, [flow_id])
            return any(now[c].updated_at != decided[c].updated_at for c in first)

        def a_said() -> bool:
            return any(line in a_log.read_text() for line in logged) or overwritten()

        def a_dropped_all() -> bool:
            return a_log.read_text().count("late write dropped") == HELD or overwritten()

        if resume_first:
            a.send_signal(signal.SIGCONT)
            wait_for(a_said, "A found out it was late")
            simulator.release()
        else:
            simulator.release()
            wait_for(lambda: len(simulator.sends().get(chosen, [])) == 2, "IO took A's sends")
            a.send_signal(signal.SIGCONT)
            wait_for(a_dropped_all, "A's late writes dropped")
        wait_for(lambda: finished(sessions, [flow_id]), "the flow finished")
    finally:
        for worker in (a, b):
            if worker is not None:
                stop_worker(worker)

    after = rows_by_code(sessions, [flow_id])
    for code in first:
        # Column for column what the takeover and the resend left, whatever A did.
        assert (after[code].outcome, after[code].io_message_id, after[code].updated_at) == (
            decided[code].outcome,
            decided[code].io_message_id,
            decided[code].updated_at,
        ), code
    sends = simulator.sends()
    tally = check_exactly_once(sends, after.values(), resent=[chosen])
    assert sum(tally.values()) == RECIPIENTS
    # The resent citizen got B's message, then A's held one: the operator's choice.
    assert len(sends[chosen]) == 2
    if after[chosen].outcome == Outcome.ACCEPTED:
        assert after[chosen].io_message_id == sends[chosen][0]
    log = a_log.read_text()
    assert any(line in log for line in logged), log
    print("\n".join(line for line in log.splitlines() if any(w in line for w in logged)))
    if not resume_first:
        assert f"notification {after[chosen].id} is no longer {a_id}'s" in log
        assert f"IO message id {sends[chosen][1]}" in log
    print(f"{case}: outcomes={tally}")
