"""Slow IO: a worker stalled past its lease while IO holds its sends, on PostgreSQL with two
`appio worker` processes: the takeover, the operator's «Reinvia», the stalled worker's
return, timed and counted.

    .venv/bin/python bench/bench_fencing.py [--recipients 2000] [--lease 10] [--rounds 3]
        [--modes lease,answers] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Each round, in a scratch database (created on the server, dropped at the end): a flow of
`--recipients` citizens on IO (profile check on), `appio simulator` in its own process (no
limit, 20 ms per answer) holding the first sends of worker A (both lanes' first chunk: 64
with the default concurrency), the production batch and concurrency, the lease `--lease`
and IO's read timeout half of it.

1. A starts alone; once IO holds its sends, A is frozen (SIGSTOP, at a moment it holds no
   transaction open) and worker B starts.
2. A's lease runs out by itself; B takes the account over: A's sends «esito incerto»
   (their requests are still held at IO).
3. An operator chooses «Reinvia» for all of them; B sends them again (IO answers B).
4. IO answers A's held sends (it creates the messages); A resumes (SIGCONT): its renewal
   finds the lease taken, or its answers come first and their writes are dropped.
5. B (and A, once it may) finish the flow.

Two modes: `lease`, as above (on resuming, A's renewal is due at once and usually finds the
lease taken before A reads IO's answers); `answers`, where A runs with a 300 s lease (no
renewal due during the round) which the bench runs out by hand after the freeze: A comes
back with IO's answers and writes them, and the fence drops every one.

Measured: from the freeze to the takeover (against the lease: A renewed at most a third of
it before the freeze), from «Reinvia» to B's outcomes, from SIGCONT to A's last word, and
the whole flow; counted: the rows «esito incerto», A's writes dropped and leases found
taken (its log), the rows changed after the operator's decision (must be 0), the citizens
with two messages (the resent ones: the operator's choice) and with more (must be 0).
Figures in bench/RESULTS-scale.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appio_core.accounts.permissions import Actor  # noqa: E402
from appio_core.accounts.security import KeyBox  # noqa: E402
from appio_core.demo.accounts import seed_demo  # noqa: E402
from appio_core.domain import Outcome  # noqa: E402
from appio_core.flows import actions  # noqa: E402
from appio_core.io.simulator import Kind, create_app, demo_config  # noqa: E402
from appio_core.sending.config import DispatcherConfig  # noqa: E402
from appio_core.storage.db import make_engine, make_sessionmaker  # noqa: E402
from appio_core.storage.migrate import upgrade  # noqa: E402
from appio_core.storage.models import Service  # noqa: E402
from tests.flows.conftest import TRIBUTI_IO_ID, simulator_process  # noqa: E402
from tests.flows.processes import (  # noqa: E402
    Simulator,
    check_exactly_once,
    finished,
    freeze,
    no_pacing,
    rows_by_code,
    run_out,
    start_flow,
    start_worker,
    stop_worker,
    wait_for,
)


@dataclass
class Round:
    mode: str
    takeover: float
    resend: float
    comeback: float
    flow: float
    after_takeover_per_second: float
    uncertain: int
    dropped: int
    lease_found_taken: int
    changed_after_decision: int
    twice: int
    more: int


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--lease", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3, help="per mode")
    parser.add_argument("--modes", default="lease,answers")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average at the start {load}; "
        f"{args.recipients} recipients, lease {args.lease:g} s, IO read timeout "
        f"{args.lease / 2:g} s, {args.rounds} rounds\n"
    )
    rounds = []
    modes = [m for m in args.modes.split(",") if m in ("lease", "answers")]
    for mode in [m for m in modes for _ in range(max(1, min(args.rounds, 10)))]:
        name = f"appio_bench_fencing_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                rounds.append(run(url, Path(tmp), args.recipients, args.lease, mode))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    report(rounds, args.lease)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nload average at the end {load}")


def run(url: str, tmp: Path, recipients: int, lease: float, mode: str) -> Round:
    upgrade(url)
    secret = Fernet.generate_key().decode()
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        seed_demo(session, KeyBox(secret))
        session.commit()
        demo = {s.name: s.id for s in session.query(Service)}
        no_pacing(session, demo)
        codes = create_app(demo_config()).population.find(Kind.WITH_IO, TRIBUTI_IO_ID, recipients)
        flow_id = start_flow(session, demo["Tributi - TARI"], codes, "lenta")
    held = codes[: DispatcherConfig().concurrency]  # both lanes' first chunk
    with simulator_process("--no-rate-limit", "--processing-delay", "0", "--latency", "0.02") as u:
        simulator = Simulator(u)
        simulator.hold(held)
        env = {
            **os.environ,
            "APPIO_DATABASE_URL": url,
            "APPIO_SECRET_KEY": secret,
            "APPIO_DATA_DIR": str(tmp / "data"),
            "APPIO_IO_BASE_URL": f"{u}/api/v1",
            "APPIO_WORKER_LEASE_SECONDS": str(lease),
            "APPIO_IO_TIMEOUT_SECONDS": str(lease / 2),
            "APPIO_WORKER_IDLE_SECONDS": "0.1",
            "APPIO_STATUS_FIRST_CHECK_SECONDS": "3600",
        }
        a_log = tmp / "worker-a.log"
        a_lease = {"APPIO_WORKER_LEASE_SECONDS": "300"} if mode == "answers" else {}
        a = start_worker({**env, **a_lease}, a_log)
        b = None
        try:
            started = time.monotonic()
            wait_for(lambda: len(simulator.held()) == len(held), "A's sends held by IO")
            freeze(a, sessions)
            frozen = time.monotonic()
            if mode == "answers":
                run_out(sessions, a.pid)
            b = start_worker(env, tmp / "worker-b.log")

            def taken_over() -> bool:
                rows = rows_by_code(sessions, [flow_id])
                return all(rows[c].outcome == Outcome.UNCERTAIN for c in held)

            wait_for(taken_over, "B took the account over")
            took = time.monotonic()
            done_at_takeover = _done(sessions, flow_id)
            with sessions.begin() as decision:
                rows = rows_by_code(sessions, [flow_id])
                actions.resend_uncertain(
                    decision, Actor.system(), flow_id, [rows[c].id for c in held]
                )
            asked = time.monotonic()

            def resent() -> bool:
                rows = rows_by_code(sessions, [flow_id])
                return all(
                    rows[c].attempts == 2
                    and rows[c].outcome not in (Outcome.PENDING, Outcome.SENDING)
                    for c in held
                )

            wait_for(resent, "B sent them again")
            answered = time.monotonic()
            decided = rows_by_code(sessions, [flow_id])
            simulator.release()
            wait_for(
                lambda: all(len(simulator.sends().get(c, [])) == 2 for c in held),
                "IO took A's sends",
            )
            a.send_signal(signal.SIGCONT)
            resumed = time.monotonic()

            def a_spoke() -> bool:
                log = a_log.read_text()
                return "found the lease" in log or log.count("late write dropped") == len(held)

            wait_for(a_spoke, "A's return")
            spoke = time.monotonic()
            wait_for(lambda: finished(sessions, [flow_id]), "the flow finished")
            ended = time.monotonic()
        finally:
            for worker in (a, b):
                if worker is not None:
                    stop_worker(worker)
        sends = simulator.sends()
    after = rows_by_code(sessions, [flow_id])
    tally = check_exactly_once(sends, after.values(), resent=held)
    log = a_log.read_text()
    changed = sum(
        (after[c].outcome, after[c].io_message_id, after[c].updated_at)
        != (decided[c].outcome, decided[c].io_message_id, decided[c].updated_at)
        for c in held
    )
    engine.dispose()
    return Round(
        mode=mode,
        takeover=took - frozen,
        resend=answered - asked,
        comeback=spoke - resumed,
        flow=ended - started,
        after_takeover_per_second=(recipients - done_at_takeover) / (ended - took),
        uncertain=tally.get(Outcome.UNCERTAIN, 0),
        dropped=log.count("late write dropped"),
        lease_found_taken=log.count("found the lease"),
        changed_after_decision=changed,
        twice=sum(len(ids) == 2 for ids in sends.values()),
        more=sum(len(ids) > 2 for ids in sends.values()),
    )


def _done(sessions, flow_id: int) -> int:  # type: ignore[no-untyped-def]
    rows = rows_by_code(sessions, [flow_id])
    return sum(r.outcome not in (Outcome.PENDING, Outcome.SENDING) for r in rows.values())


def report(rounds: list[Round], lease: float) -> None:
    print(
        "| mode | takeover after the freeze | «Reinvia» to B's outcomes | A's return "
        "(SIGCONT to its last word) | whole flow | rows/s after the takeover | «esito incerto» "
        "at the end | A's writes dropped | A's lease found taken | rows changed after the "
        "decision | citizens with 2 messages | with more |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rounds:
        print(
            f"| {r.mode} | {r.takeover:.1f} s | {r.resend:.2f} s | {r.comeback:.2f} s | "
            f"{r.flow:.1f} s | {r.after_takeover_per_second:.0f} | {r.uncertain} | {r.dropped} | "
            f"{r.lease_found_taken} | {r.changed_after_decision} | {r.twice} | {r.more} |"
        )
    print(
        f"\nlease: the takeover waits for A's lease ({lease:g} s from A's last renewal, at "
        f"most {lease / 3:.1f} s before the freeze) and for B's start; answers: A's lease run "
        "out by hand at the freeze, the takeover waits for B's start only."
    )


if __name__ == "__main__":
    main()
