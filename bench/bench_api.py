"""`POST /api/v1/notifications` under a bounded load, then the worker sending the queue.

    .venv/bin/python bench/bench_api.py [--workers 1,2] [--clients 8,16,32] [--seconds 20]
        [--warmup 5] [--queued 1000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Phase 1 (the API): a scratch database on the PostgreSQL server (dropped at the end), one
service, one integration made by `appio integration add ... --format json` (its key).
`appio api --workers W` runs in its own process on a free loopback port with
APPIO_API_RATE_LIMIT and APPIO_API_RATE_BURST at 1,000,000: the per-key limit (50/s by
default) must not cap the bench. Another process drives a closed loop of C clients, each
on its own keep-alive connection, each request with a new Idempotency-Key and a valid
codice fiscale; after `--warmup` seconds, `--seconds` are measured: 202s per second,
p50/p95/p99/max latency, any other answer (target 0), CPU of the api processes and of
their PostgreSQL backends. The loader is a minimal HTTP/1.1 client on asyncio streams
(as bench_simulator.py's): httpx would spend more CPU than the server on this machine.

Phase 2 (the worker): a fresh scratch database, `--queued` messages posted through the
API to citizens who have IO and allow the service (the simulator's population), then
`appio simulator --config` (one account of 150 requests per 5 s, its rate limit on) and
`appio worker` in their own processes. The profile check is on: two requests per message
(profile, then message), so the limit is 15 messages/s. Figures: messages sent per second
against that, IO's 429s, the busiest 5 s window, outcomes, and the simulator's message
posts against distinct notifications (each citizen gets one message: none twice).
Figures in bench/RESULTS-api.md.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_simulator import free_port, served
from cryptography.fernet import Fernet
from process_tree import _backends, _children, _cpu_s
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appio_core.accounts.permissions import Actor  # noqa: E402
from appio_core.accounts.security import KeyBox  # noqa: E402
from appio_core.accounts.services import ServiceInput, create_service  # noqa: E402
from appio_core.domain import Outcome  # noqa: E402
from appio_core.io.simulator.population import Kind, Population  # noqa: E402
from appio_core.storage.db import make_engine, make_sessionmaker  # noqa: E402
from appio_core.storage.migrate import upgrade  # noqa: E402
from appio_core.storage.models import Notification  # noqa: E402
from tests.flows.conftest import fiscal_codes  # noqa: E402

REQUESTS, WINDOW = 150, 5
ACCOUNT = "ente-bench"
SERVICE = ("Tributi", "01JBENCHAPISERVICE0", "benchapiprimary0key", "benchapisecondary0key")
ADD_OPTIONS = ("--service", SERVICE[0], "--format", "json")
BIN = Path(sys.executable).parent
SUBJECT = "Scadenza della TARI"
TEXT = (
    "Gentile cittadino, le ricordiamo che la seconda rata della TARI scade il 16 dicembre."
    " Può pagarla dall'app IO o presso qualsiasi sportello abilitato a pagoPA."
)


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", default="1,2", help="uvicorn processes, comma separated")
    parser.add_argument("--clients", default="8,16,32", help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--queued", type=int, default=1000, help="phase 2; 0: skip it")
    parser.add_argument(
        "--connections",
        default="keep",
        help="keep: each client keeps its connection; close: a new one per request (nginx's"
        " default towards its upstream); comma separated for both",
    )
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--load-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_child:
        load_child(json.loads(args.load_child))
        return
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average at the start {_load()}\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        with scratch(args.postgres) as url:
            secret, key = prepare(url, Path(tmp))
            print(
                "| api processes | connections | clients | 202/s | p50 ms | p95 ms | p99 ms "
                "| max ms | other answers | api CPU ms/req | CPU by process | PG CPU ms/req "
                "| load |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
            for workers in (int(w) for w in args.workers.split(",") if w):
                with api(url, secret, Path(tmp), workers) as (port, pid):
                    for connections in args.connections.split(","):
                        for clients in (int(c) for c in args.clients.split(",")):
                            phase_one(url, port, pid, key, clients, args, workers, connections)
        if args.queued:
            with scratch(args.postgres) as url:
                secret, key = prepare(url, Path(tmp))
                phase_two(url, secret, key, Path(tmp), args.queued)


@contextmanager
def scratch(postgres: str) -> Iterator[str]:
    name = f"appio_bench_api_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _env(url: str, secret: str, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "APPIO_DATABASE_URL": url,
        "APPIO_SECRET_KEY": secret,
        "APPIO_DATA_DIR": str(tmp / "data"),
        # Far above the bench's rate: the per-key limit is not what is measured.
        "APPIO_API_RATE_LIMIT": "1000000",
        "APPIO_API_RATE_BURST": "1000000",
    }


def prepare(url: str, tmp: Path) -> tuple[str, str]:
    """The schema, the service on its account, and an integration's key."""
    upgrade(url)
    secret = Fernet.generate_key().decode()
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        name, sid, primary, secondary = SERVICE
        created = create_service(
            session,
            Actor.system(),
            ServiceInput(
                name=name,
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
        session.commit()
    engine.dispose()
    made = subprocess.run(
        [BIN / "appio", "integration", "add", "Gestionale tributi", *ADD_OPTIONS],
        env=_env(url, secret, tmp),
        capture_output=True,
        text=True,
        check=True,
    )
    return secret, json.loads(made.stdout)["key"]


@contextmanager
def api(url: str, secret: str, tmp: Path, workers: int) -> Iterator[tuple[int, int]]:
    port = free_port()
    command = [BIN / "appio", "api", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(
        command, env=_env(url, secret, tmp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json")
                break
            except OSError:
                assert time.monotonic() < deadline, "appio api did not start"
                time.sleep(0.1)
        time.sleep(1 + workers)  # every uvicorn process up, not just the first
        yield port, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _tree_cpu(pid: int) -> float:
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        total += _cpu_s(current)
        stack.extend(_children(current))
    return total


def _database(url: str) -> str:
    return str(make_url(url).database)


def phase_one(
    url: str,
    port: int,
    pid: int,
    key: str,
    clients: int,
    args: argparse.Namespace,
    workers: int,
    connections: str,
) -> None:
    plan = {
        "port": port,
        "key": key,
        "clients": clients,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "codes": "tests",
        "count": 0,
        "close": connections == "close",
    }
    child = subprocess.Popen(
        [sys.executable, __file__, "--load-child", json.dumps(plan)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "measuring"
    database = _database(url)
    cpu, pg_start = _tree_cpu(pid), {b: _cpu_s(b) for b in _backends(database)}
    # Each uvicorn process's share: a keep-alive connection stays with the process that
    # accepted it, and one process is bound to one CPU by the GIL.
    by_process = {child: _cpu_s(child) for child in _children(pid)}
    result = json.loads(child.stdout.readline())
    cpu = _tree_cpu(pid) - cpu
    # (uvicorn's supervisor also has multiprocessing's idle helper among its children)
    used = [u for c, start in by_process.items() if (u := _cpu_s(c) - start) > 0.05]
    split = (
        " / ".join(f"{100 * u / max(sum(used), 1e-9):.0f}%" for u in used) if workers > 1 else "-"
    )
    # The backends' CPU during the span (a backend that ended meanwhile is not counted).
    pg = sum(_cpu_s(b) - pg_start.get(b, 0.0) for b in _backends(database))
    child.wait()
    latencies = sorted(result["latencies"])
    accepted = result["statuses"].get("202", 0)
    others = {s: n for s, n in result["statuses"].items() if s != "202"}

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    done = len(latencies)
    print(
        f"| {workers} | {connections} | {clients} | **{accepted / result['elapsed']:.0f}** | "
        f"{pct(0.5):.1f} | {pct(0.95):.1f} | **{pct(0.99):.1f}** | {latencies[-1] * 1000:.1f} | "
        f"{sum(others.values())} {others or ''} | {cpu / done * 1000:.2f} | {split} | "
        f"{pg / done * 1000:.2f} | {_load()} |",
        flush=True,
    )


def load_child(plan: dict) -> None:  # type: ignore[type-arg]
    import uvloop

    if plan["codes"] == "tests":
        codes = fiscal_codes(5000, seed=17)
    else:
        codes = Population(0).find(Kind.WITH_IO, SERVICE[1], plan["count"])
    result = uvloop.run(drive(plan, codes))
    print(json.dumps(result), flush=True)


async def drive(plan: dict, codes: list[str]) -> dict:  # type: ignore[type-arg]
    """A closed loop of `clients` keep-alive connections; only the measured span counts.
    With `count`, exactly that many requests (one per code), then the loop ends."""
    host, port = "127.0.0.1", plan["port"]
    count = plan["count"]
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    index = 0
    measuring = count > 0
    started = time.perf_counter()
    warm_end = started + (0 if count else plan["warmup"])
    stop = warm_end + plan["seconds"]

    close = plan.get("close", False)
    connection = "Connection: close\r\n" if close else ""

    def request(cf: str) -> bytes:
        body = json.dumps(
            {"service_name": SERVICE[0], "fiscal_code": cf, "subject": SUBJECT, "markdown": TEXT}
        ).encode()
        return (
            f"POST /api/v1/notifications HTTP/1.1\r\nHost: {host}:{port}\r\n{connection}"
            f"Authorization: Bearer {plan['key']}\r\nIdempotency-Key: {uuid.uuid4()}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def client() -> None:
        nonlocal index, measuring
        reader, writer = await asyncio.open_connection(host, port)
        while True:
            now = time.perf_counter()
            if (index >= count) if count else (now >= stop):
                break
            if not measuring and now >= warm_end:
                measuring = True
                print("measuring", flush=True)
            cf = codes[index % len(codes)]
            index += 1
            begin = time.perf_counter()
            if close and writer.is_closing():  # the connection of the previous request
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(request(cf))
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            await reader.readexactly(length)
            if close:
                writer.close()
            if begin >= warm_end:
                latencies.append(time.perf_counter() - begin)
                statuses[head[9:12].decode()] += 1
        writer.close()

    await asyncio.gather(*(client() for _ in range(plan["clients"])))
    return {
        "latencies": latencies,
        "statuses": dict(statuses),
        "elapsed": time.perf_counter() - started
        if count
        else min(time.perf_counter(), stop) - warm_end,
    }


def phase_two(url: str, secret: str, key: str, tmp: Path, queued: int) -> None:
    with api(url, secret, tmp, 1) as (port, _):
        plan = {
            "port": port,
            "key": key,
            "clients": 16,
            "seconds": 0,
            "warmup": 0,
            "codes": "population",
            "count": queued,
        }
        child = subprocess.run(
            [sys.executable, __file__, "--load-child", json.dumps(plan)],
            capture_output=True,
            text=True,
            check=True,
        )
        posted = json.loads(child.stdout.splitlines()[-1])
    print(
        f"\nPhase 2: {queued} messages posted through the API: {posted['statuses']} in "
        f"{posted['elapsed']:.1f} s; account {REQUESTS}/{WINDOW} s, profile check on\n"
    )
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    config = tmp / "simulatore.yaml"
    _, sid, primary, secondary = SERVICE
    config.write_text(
        f"accounts:\n  - {{name: {ACCOUNT}, requests: {REQUESTS}, window: {WINDOW}}}\n"
        f"services:\n  - {{service_id: {sid}, name: {SERVICE[0]}, primary_key: {primary}, "
        f"secondary_key: {secondary}, account: {ACCOUNT}}}\n"
    )
    with served("--config", str(config), "--processing-delay", "0") as server:
        env = {
            **_env(url, secret, tmp),
            "APPIO_IO_BASE_URL": server.base_url,
            "APPIO_STATUS_FIRST_CHECK_SECONDS": "3600",
        }
        started = time.monotonic()
        worker = subprocess.Popen([BIN / "appio", "worker"], env=env, stderr=subprocess.DEVNULL)
        try:
            # Generous: the lane may send well below the account's limit (RESULTS-api.md).
            deadline = started + 60 + 15 * queued * 2 / (REQUESTS / WINDOW)
            while _waiting(sessions):
                assert time.monotonic() < deadline, "the queue was not sent"
                time.sleep(0.5)
            drained = time.monotonic() - started
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
    with sessions() as session:
        outcomes = dict(
            session.execute(
                select(Notification.outcome, func.count()).group_by(Notification.outcome)
            ).all()
        )
        with_id = session.scalar(
            select(func.count(func.distinct(Notification.io_message_id))).where(
                Notification.io_message_id.is_not(None)
            )
        )
    engine.dispose()
    report_two(record, queued, drained, load, outcomes, with_id or 0)


def _waiting(sessions) -> bool:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return bool(
            session.scalar(
                select(func.count()).where(
                    Notification.outcome.in_((Outcome.PENDING, Outcome.SENDING))
                )
            )
        )


def report_two(  # type: ignore[type-arg]
    record: dict, queued: int, drained: float, load: str, outcomes: dict, with_id: int
) -> None:
    entries = record["requests"]
    served_at = sorted(e["at"] for e in entries if e["status"] != 429)
    posts = [e for e in entries if e["operation"] == "submitMessageforUserWithFiscalCodeInBody"]
    created = [e["at"] for e in posts if e["status"] == 201]
    span = max(created) - min(created)
    per_citizen = Counter(m["fiscal_code"] for m in record["messages"])
    busiest = max(bisect.bisect_right(served_at, t + WINDOW) - i for i, t in enumerate(served_at))
    limit = REQUESTS / WINDOW / 2
    print("| measure | value |")
    print("|---|---|")
    print(f"| queue drained (worker start to the last outcome) | {drained:.1f} s, load {load} |")
    print(
        f"| messages sent, first to last | {(len(created) - 1) / span:.2f}/s = "
        f"{(len(created) - 1) / span / limit:.1%} of {limit:.0f}/s ({span:.1f} s) |"
    )
    print(f"| outcomes | {dict((str(k), v) for k, v in outcomes.items())} |")
    print(f"| IO requests | {dict(Counter((e['operation'], e['status']) for e in entries))} |")
    print(f"| 429 answers | {sum(e['status'] == 429 for e in entries)} of {len(entries)} |")
    print(f"| busiest {WINDOW} s window seen by IO | {busiest} requests (limit {REQUESTS}) |")
    print(
        f"| message posts / messages IO created / distinct citizens / distinct notifications "
        f"with IO's id | {len(posts)} / {len(record['messages'])} / {len(per_citizen)} / "
        f"{with_id} (of {queued}); citizens with two messages: "
        f"{sum(n > 1 for n in per_citizen.values())} |"
    )
    gap = statistics.median(b - a for a, b in itertools.pairwise(created))
    print(f"| median gap between two message posts | {gap * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
