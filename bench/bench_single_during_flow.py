"""Single messages sent while a flow uses the whole of its IO account's limit: how long each
waits, IO's 429s, and what the flow keeps of the quota.

    .venv/bin/python bench/bench_single_during_flow.py [--recipients 3000] [--singles 10]
        [--gap 4] [--warmup 15] [--reserve 10]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

A scratch database is created on the PostgreSQL server (and dropped at the end) with one IO
account of 150 requests per 5 s and two services on it: the flow's and the single
messages'. `appio simulator --config` runs in its own process with the same account and
its rate limit on (429 above 150 per 5 s), `appio worker` in another, as in production.
A flow (profile check on: two requests per recipient, 3,000 recipients = about 200 s at
the limit) is started; after `--warmup` seconds, when the worker sends at the limit, a
third process sends `--singles` single messages (the core's `send_new`, as «Nuova
notifica» and `appio notification send` do: a profile check and a send) to IO's test
citizen, one every `--gap` seconds. The flow is let finish.

Figures: each single message's time from the call to IO's acceptance (targets: median
≤ 2 s, max ≤ 5 s); IO's 429 answers, from the simulator's own record (`GET
/__simulator/record?requests=1`; target 0); the flow's requests IO served per second
against the 30/s quota (target ≥ 90%), over the whole flow and while the single messages
are sent; the busiest 5-second window IO saw. Figures in bench/RESULTS-flows.md.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

from bench_simulator import served
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appio_core.accounts.permissions import Actor  # noqa: E402
from appio_core.accounts.security import KeyBox  # noqa: E402
from appio_core.accounts.services import ServiceInput, create_service  # noqa: E402
from appio_core.io.models import TEST_FISCAL_CODE  # noqa: E402
from appio_core.storage.db import make_engine, make_sessionmaker  # noqa: E402
from appio_core.storage.migrate import upgrade  # noqa: E402
from appio_core.storage.models import Flow, utcnow  # noqa: E402
from appio_core.storage.runtime_models import WorkerHeartbeat  # noqa: E402
from tests.flows.conftest import fiscal_codes  # noqa: E402
from tests.flows.test_workers import start_flow  # noqa: E402

REQUESTS, WINDOW = 150, 5
ACCOUNT = "ente-bench"
SERVICES = {  # name: (IO service id, primary key, secondary key)
    "Tributi": ("01JBENCHFLOWSERVICE", "benchflowprimary0key", "benchflowsecondary0key"),
    "Anagrafe": ("01JBENCHSINGLESERVICE", "benchsingleprimary0key", "benchsinglesecondary0key"),
}
BIN = Path(sys.executable).parent
SUBJECT = "Appuntamento all'anagrafe"
TEXT = (
    "Gentile cittadino, le confermiamo l'appuntamento all'ufficio anagrafe del Comune per il"
    " rinnovo della carta d'identità. Porti con sé una fototessera recente."
)


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--singles", type=int, default=10)
    parser.add_argument("--gap", type=float, default=4.0, help="seconds between two singles")
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--reserve", type=int, default=10, help="APPIO_SINGLE_RESERVE_PERCENT")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--singles-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.singles_child:
        singles_child(*args.singles_child)
        return
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average at the start {_load()}; one account of "
        f"{REQUESTS}/{WINDOW} s, a flow of {args.recipients} recipients (profile check on), "
        f"{args.singles} single messages one every {args.gap:g} s from {args.warmup:g} s, "
        f"reserve {args.reserve}%\n"
    )
    name = f"appio_bench_single_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(url, Path(tmp), args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def simulator_yaml() -> str:
    services = [
        f"  - {{service_id: {sid}, name: {name}, primary_key: {primary}, "
        f"secondary_key: {secondary}, account: {ACCOUNT}}}"
        for name, (sid, primary, secondary) in SERVICES.items()
    ]
    return "\n".join(
        [
            "accounts:",
            f"  - {{name: {ACCOUNT}, requests: {REQUESTS}, window: {WINDOW}}}",
            "services:",
            *services,
            "",
        ]
    )


def run(url: str, tmp: Path, args: argparse.Namespace) -> None:
    upgrade(url)
    secret = Fernet.generate_key().decode()
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    ids: dict[str, int] = {}
    with sessions() as session:
        for service_name, (sid, primary, secondary) in SERVICES.items():
            created = create_service(
                session,
                Actor.system(),
                ServiceInput(
                    name=service_name,
                    io_service_id=sid,
                    primary_key=primary,
                    secondary_key=secondary,
                    organization_name="Comune di Prova",
                    account=ACCOUNT,
                ),
                KeyBox(secret),
            )
            created.account.rate_limit_requests = REQUESTS
            created.account.rate_limit_window_seconds = WINDOW
            session.flush()
            ids[service_name] = created.id
        session.commit()
    config = tmp / "simulatore.yaml"
    config.write_text(simulator_yaml())
    with served("--config", str(config), "--processing-delay", "0") as server:
        env = {
            **os.environ,
            "APPIO_DATABASE_URL": url,
            "APPIO_SECRET_KEY": secret,
            "APPIO_DATA_DIR": str(tmp / "data"),
            "APPIO_IO_BASE_URL": server.base_url,
            "APPIO_STATUS_FIRST_CHECK_SECONDS": "3600",
            "APPIO_SINGLE_RESERVE_PERCENT": str(args.reserve),
        }
        worker = subprocess.Popen([BIN / "appio", "worker"], env=env, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not _alive(sessions):
                assert time.monotonic() < deadline, "the worker did not start"
                time.sleep(0.2)
            with sessions() as session:
                codes = fiscal_codes(args.recipients, seed=77)
                flow_id = start_flow(session, ids["Tributi"], codes, "flusso")
            time.sleep(args.warmup)
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--singles-child",
                    url,
                    secret,
                    server.base_url,
                    str(ids["Anagrafe"]),
                    f"{args.singles}:{args.gap}",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            singles = [json.loads(line) for line in child.stdout.splitlines()]
            deadline = time.monotonic() + 30 + 3 * args.recipients / (REQUESTS / WINDOW)
            while not _finished(sessions, flow_id):
                assert time.monotonic() < deadline, "the flow did not finish"
                time.sleep(0.5)
            load = _load()
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        base = server.base_url.removesuffix("/api/v1")
        with urllib.request.urlopen(f"{base}/__simulator/record?requests=1") as answer:
            record = json.load(answer)
    engine.dispose()
    report(record, singles, load)


def _alive(sessions) -> bool:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return (
            session.scalar(
                select(WorkerHeartbeat.worker_id).where(WorkerHeartbeat.alive_until >= utcnow())
            )
            is not None
        )


def _finished(sessions, flow_id: int) -> bool:  # type: ignore[no-untyped-def]
    with sessions() as session:
        flow = session.get(Flow, flow_id)
        assert flow is not None
        return str(flow.state) in ("Inviato", "Invio incompleto")


def singles_child(url: str, secret: str, base_url: str, service_id: str, plan: str) -> None:
    """In a process of its own: the single messages, one JSON line each (monotonic times:
    the same clock as the simulator's record on this machine)."""
    from appio_core.notifications.single import NewNotification, send_new

    count, gap = plan.split(":")
    sessions = make_sessionmaker(make_engine(url))
    box = KeyBox(secret)
    for _ in range(int(count)):
        start = time.monotonic()
        result = send_new(
            sessions,
            Actor.system(),
            NewNotification(int(service_id), TEST_FISCAL_CODE, SUBJECT, TEXT),
            box,
            base_url,
        )
        end = time.monotonic()
        print(json.dumps({"start": start, "end": end, "outcome": str(result.outcome)}))
        time.sleep(max(0.0, float(gap) - (end - start)))


def report(record: dict, singles: list[dict], load: str) -> None:  # type: ignore[type-arg]
    flow_sid, single_sid = SERVICES["Tributi"][0], SERVICES["Anagrafe"][0]
    entries = record["requests"]
    statuses = Counter((e["service_id"], e["status"]) for e in entries)
    throttled = sum(n for (_, status), n in statuses.items() if status == 429)
    served_all = sorted(e["at"] for e in entries if e["status"] != 429)
    flow = sorted(e["at"] for e in entries if e["status"] != 429 and e["service_id"] == flow_sid)
    quota = REQUESTS / WINDOW
    span = flow[-1] - flow[0]
    first, last = singles[0]["start"], singles[-1]["end"]
    during = [t for t in flow if first <= t <= last]
    during_all = [t for t in served_all if first <= t <= last]
    busiest = max(bisect.bisect_right(served_all, t + WINDOW) - i for i, t in enumerate(served_all))
    waits = [s["end"] - s["start"] for s in singles]
    outcomes = Counter(s["outcome"] for s in singles)
    single_requests = Counter(
        (e["operation"], e["status"]) for e in entries if e["service_id"] == single_sid
    )
    print(f"load average at the end {load}\n")
    print("| measure | value |")
    print("|---|---|")
    print(
        f"| single messages | {len(singles)}, {dict(outcomes)}; requests {dict(single_requests)} |"
    )
    print(
        f"| time to IO's acceptance | median {statistics.median(waits):.2f} s, max "
        f"{max(waits):.2f} s (each: {', '.join(f'{w:.2f}' for w in waits)}) |"
    )
    print(f"| 429 answers | {throttled} of {len(entries)} requests |")
    print(
        f"| flow, served/s first to last | {(len(flow) - 1) / span:.2f}/s = "
        f"{(len(flow) - 1) / span / quota:.1%} of {quota:.0f}/s ({span:.0f} s) |"
    )
    print(
        f"| flow, while the singles were sent | {len(during) / (last - first):.2f}/s = "
        f"{len(during) / (last - first) / quota:.1%} ({last - first:.1f} s); flow and singles "
        f"{len(during_all) / (last - first) / quota:.1%} |"
    )
    print(f"| busiest {WINDOW} s window seen by IO | {busiest} requests (limit {REQUESTS}) |")


if __name__ == "__main__":
    main()
