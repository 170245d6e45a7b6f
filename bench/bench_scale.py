"""Six IO accounts at IO's limit, sent by three `appio worker` processes on PostgreSQL, one
of them killed (SIGKILL) halfway: share of the quota, 429s, no message twice, takeover.

    .venv/bin/python bench/bench_scale.py [--seconds 120] [--recipients 3000]
        [--lease 10] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

A scratch database is created on the PostgreSQL server (and dropped at the end), with six
accounts of one service each, each limited to 150 requests per 5 s both in the database
(the workers' limiters) and in `appio simulator --config` (its own process, 429 above the
limit). Three `appio worker` processes start first and are let settle (their heartbeats
seen), as they run in production; then a flow (profile check on) larger than the time
allows is started on each account. Halfway, the worker holding the most accounts is
SIGKILLed; the bench watches `account_leases` until its accounts have another holder.
At the end the survivors are stopped with SIGTERM (a clean stop) and the figures are
read from the simulator's own record (`GET /__simulator/record?requests=1`):

- per account: requests IO served (not 429) per second from the first to the last,
  against 30/s; for the accounts taken over, also without the takeover gap (the longest
  silence IO saw on that account); the share of 429 answers;
- no message twice: the simulator's messages by (service, citizen), and every row of the
  database checked against them (the «esito incerto» rows are the sends cut off by the
  kill: their message may or may not exist);
- the takeover: from the kill to the accounts' new leases, against the lease time.

Figures in bench/RESULTS-scale.md.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from bench_simulator import served
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appio_core.accounts.security import KeyBox  # noqa: E402
from appio_core.domain import FINISHED_STATES, POSITIVE_OUTCOMES, Outcome  # noqa: E402
from appio_core.storage.db import make_engine, make_sessionmaker  # noqa: E402
from appio_core.storage.migrate import upgrade  # noqa: E402
from appio_core.storage.models import Flow, IoAccount, Notification, utcnow  # noqa: E402
from appio_core.storage.runtime_models import AccountLease, WorkerHeartbeat  # noqa: E402
from tests.flows.conftest import fiscal_codes  # noqa: E402
from tests.flows.scale import add_services, sim_services, simulator_yaml  # noqa: E402
from tests.flows.test_workers import start_flow  # noqa: E402

ACCOUNTS, WORKERS = 6, 3
REQUESTS, WINDOW = 150, 5
BIN = Path(sys.executable).parent


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--recipients", type=int, default=3000, help="per account")
    parser.add_argument("--lease", type=float, default=10.0)
    parser.add_argument("--save", type=Path, help="write the simulator's record here (JSON)")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    seconds = min(args.seconds, 900.0)
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average at the start {_load()}; "
        f"{ACCOUNTS} accounts of {REQUESTS}/{WINDOW} s, {WORKERS} workers, lease "
        f"{args.lease:.0f} s, {seconds:.0f} s of sending, {args.recipients} recipients per "
        "account\n"
    )
    name = f"appio_bench_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(url, Path(tmp), seconds, args.recipients, args.lease, args.save)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(
    url: str, tmp: Path, seconds: float, recipients: int, lease: float, save: Path | None
) -> None:
    upgrade(url)
    secret = Fernet.generate_key().decode()
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        service_ids = add_services(session, KeyBox(secret), ACCOUNTS, REQUESTS, WINDOW)
    config = tmp / "simulatore.yaml"
    config.write_text(simulator_yaml(ACCOUNTS, REQUESTS, WINDOW))
    with served("--config", str(config), "--processing-delay", "0") as server:
        env = {
            **os.environ,
            "APPIO_DATABASE_URL": url,
            "APPIO_SECRET_KEY": secret,
            "APPIO_DATA_DIR": str(tmp / "data"),
            "APPIO_IO_BASE_URL": server.base_url,
            "APPIO_WORKER_LEASE_SECONDS": str(lease),
            # The lease must outlast IO's read timeout (sending/config.py); the simulator
            # answers in milliseconds, so half the lease is plenty.
            "APPIO_IO_TIMEOUT_SECONDS": str(lease / 2),
            "APPIO_STATUS_FIRST_CHECK_SECONDS": "3600",
        }
        workers = [
            subprocess.Popen([BIN / "appio", "worker"], env=env, stderr=subprocess.DEVNULL)
            for _ in range(WORKERS)
        ]
        try:
            deadline = time.monotonic() + 60
            while _alive(sessions) < WORKERS:
                assert time.monotonic() < deadline, "the workers did not start"
                time.sleep(0.2)
            flows = []
            with sessions() as session:
                for i, service_id in enumerate(service_ids):
                    codes = fiscal_codes(recipients, seed=1000 + i)
                    flows.append(start_flow(session, service_id, codes, f"flusso-{i}"))
            t0 = time.monotonic()
            time.sleep(seconds / 2)
            holders = _holders(sessions)
            print(f"leases before the kill: {sorted(Counter(holders.values()).values())}")
            victim_id, orphaned = max(
                ((w, {a for a, o in holders.items() if o == w}) for w in set(holders.values())),
                key=lambda pair: len(pair[1]),
            )
            victim = next(p for p in workers if f"-{p.pid}-" in victim_id)
            killed = time.monotonic()
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            takeover = _await_takeover(sessions, orphaned, victim_id, 10 * lease)
            after = _holders(sessions)
            print(
                f"killed {victim_id} holding {len(orphaned)} accounts; "
                f"takeover after {takeover - killed:.1f} s (lease {lease:.0f} s); "
                f"leases after: {sorted(Counter(after.values()).values())}"
            )
            time.sleep(max(0.0, seconds - (time.monotonic() - t0)))
            load = _load()
        finally:
            for process in workers:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in workers:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        base = server.base_url.removesuffix("/api/v1")
        with urllib.request.urlopen(f"{base}/__simulator/record?requests=1") as answer:
            record = json.load(answer)
        if save is not None:
            save.write_text(json.dumps(record))
    with sessions() as session:
        names = {a.id: a.name for a in session.scalars(select(IoAccount))}
        orphaned_names = {names[a] for a in orphaned}
    report(record, orphaned_names, takeover - killed, lease, load)
    check_once(record, sessions, flows)
    engine.dispose()


def _alive(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        now = utcnow()
        return len(
            session.scalars(
                select(WorkerHeartbeat.worker_id).where(WorkerHeartbeat.alive_until >= now)
            ).all()
        )


def _holders(sessions) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """account -> worker, for the leases valid now."""
    with sessions() as session:
        now = utcnow()
        return {
            lease.account_id: lease.owner
            for lease in session.scalars(select(AccountLease))
            if lease.owner is not None and lease.expires_at is not None and lease.expires_at >= now
        }


def _await_takeover(sessions, orphaned: set[int], victim: str, limit: float) -> float:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        holders = _holders(sessions)
        if all(holders.get(a) not in (None, victim) for a in orphaned):
            return time.monotonic()
        time.sleep(0.05)
    raise AssertionError("the dead worker's accounts were not taken over")


def report(record: dict, orphaned: set[str], takeover: float, lease: float, load: str) -> None:  # type: ignore[type-arg]
    account_of = {s.service_id: s.account for s in sim_services(ACCOUNTS)}
    served_at: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    for entry in record["requests"]:
        account = account_of.get(entry["service_id"])
        if account is None:
            continue
        statuses[account][entry["status"]] += 1
        if entry["status"] != 429:
            served_at[account].append(entry["at"])
    quota = REQUESTS / WINDOW
    print(f"\nload average at the end {load}\n")
    print(
        "| account | requests | 429 | 429 share | served/s, first to last | share of quota "
        "| longest silence | share of quota without it | busiest 5 s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for account in sorted(statuses):
        times = sorted(served_at[account])
        total = sum(statuses[account].values())
        throttled = statuses[account][429]
        span = times[-1] - times[0]
        rate = (len(times) - 1) / span
        gap = max(b - a for a, b in itertools.pairwise(times))
        without = (len(times) - 1) / (span - gap) if account in orphaned else rate
        busiest = max(bisect.bisect_right(times, t + WINDOW) - i for i, t in enumerate(times))
        mark = " (taken over)" if account in orphaned else ""
        print(
            f"| {account}{mark} | {total} | {throttled} | {throttled / total:.2%} | "
            f"{rate:.2f}/s | {rate / quota:.1%} | {gap:.1f} s | {without / quota:.1%} | "
            f"{busiest} |"
        )
    print(f"\ntakeover: {takeover:.1f} s after the kill, lease {lease:.0f} s")


def check_once(record: dict, sessions, flows: list[int]) -> None:  # type: ignore[no-untyped-def,type-arg]
    sends: dict[tuple[str, str], list[str]] = defaultdict(list)
    for message in record["messages"]:
        sends[(message["service_id"], message["fiscal_code"])].append(message["id"])
    twice = {key: ids for key, ids in sends.items() if len(ids) > 1}
    tally: Counter[str] = Counter()
    wrong = 0
    with sessions() as session:
        io_id = {
            f.id: f.service.io_service_id
            for f in session.scalars(select(Flow).where(Flow.id.in_(flows)))
        }
        states = Counter(
            str(f.state) for f in session.scalars(select(Flow).where(Flow.id.in_(flows)))
        )
        for row in session.scalars(select(Notification).where(Notification.flow_id.in_(flows))):
            tally[str(row.outcome)] += 1
            got = sends.get((io_id[row.flow_id], row.fiscal_code), [])
            if row.outcome in POSITIVE_OUTCOMES:
                wrong += got != [row.io_message_id]
            elif row.outcome in (Outcome.PENDING, Outcome.SENDING, Outcome.UNCERTAIN):
                wrong += len(got) > 1
            else:
                wrong += bool(got)
    print(
        f"messages on the simulator: {len(record['messages'])}; citizens with two messages of "
        f"one service: {len(twice)}; rows not matching the simulator's record: {wrong}"
    )
    print(f"rows: {dict(tally)}; flows: {dict(states)} (finished: {sorted(FINISHED_STATES)})")


if __name__ == "__main__":
    main()
