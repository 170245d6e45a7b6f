"""Recipients per second through the dispatcher, against a bare aiohttp loop doing the same.

    .venv/bin/python bench/bench_dispatch.py [--recipients 20000] [--batch-size 500]
        [--concurrency 64] [--repeat 5] [--sweep] [--profile FILE] [--no-bare]

The simulator runs in its own process (`appio simulator --no-rate-limit
--processing-delay 0`), a fresh one for each measurement. The flow (profile check on) is
imported into a SQLite database in a temporary directory, the IO account's
`rate_limit_requests` set to 0 (no client pacing), then sent by one in-process
Dispatcher until nothing is left: claim, profile check, send, store, end to end.

The reference is a bare asyncio loop with aiohttp making the same two calls per
recipient (POST /profiles, then POST /messages when the citizen is on IO and allows the
service), with as many requests in flight, against the same kind of simulator process.
Client and simulator CPU are measured as well (from /proc), to tell which side is the
limit on a 2-core machine. Prints a Markdown table (figures in bench/RESULTS-flows.md).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
from bench_simulator import Server, served
from cryptography.fernet import Fernet
from httpx_aiohttp import AiohttpTransport
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appio_core.accounts.permissions import Actor  # noqa: E402
from appio_core.accounts.security import KeyBox  # noqa: E402
from appio_core.demo.accounts import seed_demo  # noqa: E402
from appio_core.domain import FlowState  # noqa: E402
from appio_core.flows import (  # noqa: E402
    actions,
    importing,
    queries,
)
from appio_core.io.http import IoHttp  # noqa: E402

TIMEOUT = httpx.Timeout(30.0, connect=5.0, pool=60.0)  # the previous stack's
from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig  # noqa: E402
from appio_core.storage.db import make_engine, make_sessionmaker  # noqa: E402
from appio_core.storage.migrate import upgrade  # noqa: E402
from appio_core.storage.models import Flow, IoAccount, Service  # noqa: E402
from tests.flows.conftest import TEXT, fiscal_codes, recipient_csv  # noqa: E402

SERVICE = "Tributi - TARI"
KEY = "demo0tributi0primary0key01"  # the demo key of that service
SUBJECT = "Avviso per {{nome}}"
SIMULATOR_OPTIONS = ("--no-rate-limit", "--processing-delay", "0")
TIME_LIMIT = 600.0  # seconds: a run that takes longer is stopped


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Database:
    url: str
    sessions: sessionmaker[Session]
    box: KeyBox
    secret: str
    service_id: int


@contextmanager
def database(
    directory: Path, requests: int = 0, window: int = 5, reuse: bool = False
) -> Iterator[Database]:
    """A migrated SQLite database with the demo services; the account limit as given.

    With `reuse`, the database made earlier in the same directory."""
    url = f"sqlite:///{directory / 'appio.db'}"
    secret_file = directory / "secret.key"
    if reuse:
        secret = secret_file.read_text()
    else:
        upgrade(url)
        secret = Fernet.generate_key().decode()
        secret_file.write_text(secret)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    box = KeyBox(secret)
    with sessions() as session:
        seed_demo(session, box)
        for account in session.query(IoAccount):
            account.rate_limit_requests = requests
            account.rate_limit_window_seconds = window
        session.commit()
        service_id = session.scalar(select(Service.id).where(Service.name == SERVICE))
    assert service_id is not None
    try:
        yield Database(url, sessions, box, secret, service_id)
    finally:
        engine.dispose()


def start_flow(db: Database, csv: bytes, name: str = "bench") -> int:
    actor = Actor.system()
    with db.sessions() as session:
        flow = importing.import_flow(
            session,
            actor,
            service_id=db.service_id,
            name=name,
            natura="Comunicazione",
            source=csv,
            filename=f"{name}.csv",
            templates=importing.Templates(subject=SUBJECT, text=TEXT),
        )
        actions.activate(session, actor, flow.id)
        actions.send(session, actor, flow.id)
        session.commit()
        return flow.id


def outcomes(db: Database, flow_id: int) -> tuple[str, dict[str, int]]:
    with db.sessions() as session:
        flow = session.get(Flow, flow_id)
        assert flow is not None
        counts = queries.outcome_counts(session, flow_id)
        return str(flow.state), {str(k.value): v for k, v in counts.items()}


@dataclass
class Measure:
    label: str
    recipients: int
    seconds: float
    client_cpu: float
    server_cpu: float
    requests: int

    @property
    def rate(self) -> float:
        return self.recipients / self.seconds

    def row(self, reference: float | None = None) -> str:
        ratio = f"{self.rate / reference:.0%}" if reference else "-"
        return (
            f"| {self.label} | {self.recipients} | {self.seconds:.1f} s | {self.rate:,.0f}/s | "
            f"{ratio} | {self.requests / self.seconds:,.0f}/s | "
            f"{self.client_cpu / self.seconds:.0%} | {self.server_cpu / self.seconds:.0%} | "
            f"{self.client_cpu / self.recipients * 1000:.2f} ms |"
        )


def record_count(server: Server) -> int:
    import urllib.request

    base = server.base_url.removesuffix("/api/v1")
    with urllib.request.urlopen(f"{base}/__simulator/record") as answer:
        return int(json.load(answer)["request_count"])


def previous_stack() -> IoHttp | httpx.AsyncClient:
    """The HTTP stack the dispatcher used before aiohttp directly: httpx over the
    httpx-aiohttp transport, same limits and timeouts."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=30)
    return httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=TIMEOUT)


def run_dispatcher(
    codes: list[str],
    batch_size: int,
    concurrency: int,
    profile: str | None = None,
    httpx_stack: bool = False,
) -> Measure:
    with tempfile.TemporaryDirectory() as tmp, database(Path(tmp)) as db:
        flow_id = start_flow(db, recipient_csv(codes))
        with served(*SIMULATOR_OPTIONS) as server:
            config = DispatcherConfig(
                batch_size=batch_size, concurrency=concurrency, status_first_check=3600.0
            )
            http = previous_stack() if httpx_stack else None
            dispatcher = Dispatcher(db.sessions, db.box, server.base_url, config, http=http)
            deadline = time.monotonic() + TIME_LIMIT
            profiler = cProfile.Profile() if profile else None
            cpu0, scpu0, t0 = time.process_time(), server.cpu_seconds(), time.perf_counter()
            if profiler:
                profiler.enable()

            async def send() -> None:
                await dispatcher.run(lambda: time.monotonic() > deadline, once=True)
                if http is not None:  # given to the dispatcher, so not closed by it
                    await http.aclose()

            asyncio.run(send())
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)
            seconds = time.perf_counter() - t0
            cpu, scpu = time.process_time() - cpu0, server.cpu_seconds() - scpu0
            requests = record_count(server)
        state, counts = outcomes(db, flow_id)
        assert state in (FlowState.SENT.value, FlowState.INCOMPLETE.value), (state, counts)
        assert counts.get("da inviare", 0) == 0 and counts.get("in invio", 0) == 0, counts
        print(f"  dispatcher b={batch_size} c={concurrency}: {state} {counts}", file=sys.stderr)
    label = f"dispatcher, batch {batch_size}, concurrency {concurrency}"
    if httpx_stack:
        label += ", httpx over httpx-aiohttp (before)"
    return Measure(label, len(codes), seconds, cpu, scpu, requests)


async def bare_loop(base_url: str, codes: list[str], concurrency: int) -> int:
    """Profile check then send for every code; returns the requests made."""
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Content-Type": "application/json"}
    todo = iter(enumerate(codes))
    made = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def worker() -> None:
            nonlocal made
            for i, cf in todo:
                body = json.dumps({"fiscal_code": cf})
                async with http.post(f"{base_url}/profiles", data=body) as r:
                    answer = await r.read()
                    made += 1
                if r.status != 200 or not json.loads(answer)["sender_allowed"]:
                    continue
                name = f"Cittadino {i}"
                message = {
                    "fiscal_code": cf,
                    "content": {
                        "subject": SUBJECT.replace("{{nome}}", name),
                        "markdown": TEXT.replace("{{nome}}", name),
                    },
                    "feature_level_type": "STANDARD",
                }
                async with http.post(f"{base_url}/messages", data=json.dumps(message)) as r:
                    await r.read()
                    made += 1
                    assert r.status == 201, r.status

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return made


def run_bare(codes: list[str], concurrency: int) -> Measure:
    with served(*SIMULATOR_OPTIONS) as server:
        cpu0, scpu0, t0 = time.process_time(), server.cpu_seconds(), time.perf_counter()
        made = asyncio.run(asyncio.wait_for(bare_loop(server.base_url, codes, concurrency), 600))
        seconds = time.perf_counter() - t0
        cpu, scpu = time.process_time() - cpu0, server.cpu_seconds() - scpu0
        assert record_count(server) == made
    label = f"bare aiohttp loop, {concurrency} in flight"
    return Measure(label, len(codes), seconds, cpu, scpu, made)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=DispatcherConfig.batch_size)
    parser.add_argument("--concurrency", type=int, default=DispatcherConfig.concurrency)
    parser.add_argument("--sweep", action="store_true", help="also other batch/concurrency")
    parser.add_argument("--profile", help="cProfile output of the (first) dispatcher run")
    parser.add_argument("--no-bare", action="store_true")
    parser.add_argument(
        "--httpx", action="store_true", help="also the dispatcher on the previous httpx stack"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds, at most 10")
    args = parser.parse_args()
    codes = fiscal_codes(args.recipients, seed=3)
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, aiohttp {aiohttp.__version__}; "
        f"{len(codes)} recipients, profile check on, SQLite, simulator "
        f"{' '.join(SIMULATOR_OPTIONS)}; load average {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| client | recipients | time | recipients/s | vs bare loop | requests/s "
        "| client CPU | simulator CPU | client CPU per recipient |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    cells = [(args.batch_size, args.concurrency)]
    if args.sweep:
        cells += [(b, c) for b, c in ((200, 32), (500, 128), (1000, 128), (2000, 256))]
    # The machine may be shared: bare loop and dispatcher alternate, each ratio is
    # against the bare loop run just before.
    ratios = []
    cpu_ratios: dict[str, list[float]] = {"aiohttp": [], "httpx": []}
    for round_ in range(min(args.repeat, 10)):
        reference = None
        bare_cpu = None
        if not args.no_bare:
            bare = run_bare(codes, 64)
            reference = bare.rate
            bare_cpu = bare.client_cpu / bare.recipients
            print(bare.row(), flush=True)
        for i, (batch, conc) in enumerate(cells):
            profile = args.profile if i == 0 and round_ == 0 else None
            measure = run_dispatcher(codes, batch, conc, profile)
            print(measure.row(reference), flush=True)
            if reference and i == 0:
                ratios.append(measure.rate / reference)
            if bare_cpu and i == 0:
                cpu_ratios["aiohttp"].append(bare_cpu / (measure.client_cpu / measure.recipients))
        if args.httpx:
            before = run_dispatcher(codes, args.batch_size, args.concurrency, httpx_stack=True)
            print(before.row(reference), flush=True)
            if bare_cpu:
                cpu_ratios["httpx"].append(bare_cpu / (before.client_cpu / before.recipients))
    for stack, values in cpu_ratios.items():
        if values:
            values.sort()
            print(
                f"\nCPU per recipient, bare loop / dispatcher ({stack}), median of "
                f"{len(values)}: {values[len(values) // 2]:.2f} "
                f"(all: {', '.join(f'{v:.2f}' for v in values)})"
            )
    if ratios:
        ratios.sort()
        print(
            f"\nratio dispatcher / bare loop, median of {len(ratios)}: "
            f"{ratios[len(ratios) // 2]:.0%} (all: {', '.join(f'{r:.0%}' for r in ratios)})"
        )


if __name__ == "__main__":
    main()
