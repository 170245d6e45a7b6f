"""Flows fixtures: demo services, recipient files of valid codici fiscali, the simulator."""

from __future__ import annotations

import random
import socket
import string
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.demo.accounts import seed_demo
from appio_core.domain import POSITIVE_OUTCOMES, Outcome
from appio_core.flows import importing
from appio_core.io.simulator import Record, create_app, demo_config
from appio_core.io.simulator.app import SimulatorApp
from appio_core.io.simulator.demo import DEMO_SERVICES
from appio_core.io.simulator.population import Kind, check_character
from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig
from appio_core.storage.models import Flow, IoAccount, Notification, Service

MONTHS = "ABCDEHLMPRST"


def fiscal_codes(count: int, seed: int = 1) -> list[str]:
    """Distinct, valid codici fiscali (born in Rome, H501), deterministic from `seed`."""
    rng = random.Random(seed)
    codes: set[str] = set()
    while len(codes) < count:
        letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(6))
        year = f"{rng.randrange(100):02d}"
        month = rng.choice(MONTHS)
        day = f"{rng.randrange(1, 29) + rng.choice((0, 40)):02d}"
        body = f"{letters}{year}{month}{day}H501"
        codes.add(body + check_character(body))
    return sorted(codes)


TEXT = "Gentile {{nome}}, " + "ti ricordiamo che il servizio comunale ha una novità. " * 3


def recipient_csv(codes: list[str]) -> bytes:
    lines = ["codice_fiscale;nome"] + [f"{cf};Cittadino {i}" for i, cf in enumerate(codes)]
    return ("\n".join(lines) + "\n").encode()


# What a profile check finds for each kind of citizen of the simulator's population.
OUTCOME_OF_KIND = {
    Kind.WITH_IO: Outcome.ACCEPTED,
    Kind.WITHOUT_IO: Outcome.NOT_ON_IO,
    Kind.BLOCKED: Outcome.SERVICE_BLOCKED,
}
TRIBUTI_IO_ID = next(s.io_service_id for s in DEMO_SERVICES if s.name == "Tributi - TARI")


def imported_flow(
    session: Session,
    actor: Actor,
    service_id: int,
    codes: list[str],
    name: str = "Avviso TARI",
    templates: importing.Templates | None = None,
) -> Flow:
    """A flow «Inattivo» imported from a CSV of these codici fiscali (a `nome` column)."""
    return importing.import_flow(
        session,
        actor,
        service_id=service_id,
        name=name,
        natura="Comunicazione",
        source=recipient_csv(codes),
        filename="destinatari.csv",
        templates=templates or importing.Templates(subject="Avviso per {{nome}}", text=TEXT),
    )


def expected_outcomes(
    simulator: SimulatorApp, codes: list[str], service_id: str = TRIBUTI_IO_ID
) -> dict[str, Outcome]:
    """Each citizen's outcome of a flow sent with the profile check, as the simulator's
    population decides it."""
    return {cf: OUTCOME_OF_KIND[simulator.population.kind(cf, service_id)] for cf in codes}


def tally(outcomes: Iterable[Outcome]) -> dict[Outcome, int]:
    return dict(Counter(outcomes))


def assert_sent_exactly_once(record: Record, rows: Iterable[Notification]) -> None:
    """The simulator holds exactly one message for each row IO accepted, the one whose id
    the row keeps, and none for the rows that were not sent («esito incerto» aside)."""
    sends = record.sends_by_fiscal_code()
    assert {cf: ids for cf, ids in sends.items() if len(ids) > 1} == {}
    for row in rows:
        if row.outcome in POSITIVE_OUTCOMES:
            assert sends.get(row.fiscal_code) == [row.io_message_id], row.fiscal_code
        elif row.outcome != Outcome.UNCERTAIN:
            assert row.fiscal_code not in sends, (row.fiscal_code, row.outcome)


@pytest.fixture
def demo(session: Session, keybox: KeyBox) -> dict[str, int]:
    """The demo services, by name → id, committed."""
    seed_demo(session, keybox)
    # The simulator runs without its rate limit here: pace nothing on our side either.
    for account in session.query(IoAccount):
        account.rate_limit_requests = 0
    session.commit()
    return {s.name: s.id for s in session.query(Service)}


@pytest.fixture
def operator() -> Actor:
    return Actor.system()


@pytest.fixture
def simulator() -> SimulatorApp:
    return create_app(demo_config(rate_limit=False, processing_delay=0.0))


@pytest.fixture
def make_dispatcher(
    sessions: sessionmaker[Session], keybox: KeyBox, simulator: SimulatorApp
) -> Iterator[Callable[..., Dispatcher]]:
    made: list[Dispatcher] = []

    def make(app: SimulatorApp | None = None, **config: object) -> Dispatcher:
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app or simulator), base_url="http://simulator"
        )
        settings = {
            "idle_sleep": 0.01,
            "status_first_check": 0.0,
            "status_min_interval": 0.0,
            "retry_delays": (0.01,),
            **config,
        }
        dispatcher = Dispatcher(
            sessions, keybox, "http://simulator/api/v1", DispatcherConfig(**settings), http=http
        )  # type: ignore[arg-type]
        made.append(dispatcher)
        return dispatcher

    yield make


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def simulator_process(*args: str) -> Iterator[str]:
    """`appio simulator` in a process of its own; yields its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [Path(sys.executable).parent / "appio", "simulator", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # A slow start on a busy machine is waited for (60 s: a guard, not a measure).
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/__simulator/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, "the simulator process ended at start"
                assert time.monotonic() < deadline, "the simulator did not start in 60 s"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)
