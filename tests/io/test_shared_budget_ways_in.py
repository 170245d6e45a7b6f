"""Every way to IO outside the worker books its requests on the account's shared budget, so
that none comes on top of a flow that uses the whole quota (appio_core/io/budget.py).

Two halves: each way in, run against the in-process simulator, adds to the account's
bookings exactly the requests it made; and the code has no other way to IO than those
listed here (a new module that builds an IO client fails the second test until it is
added to WAYS_IN, with its run in the first)."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.connection_check import run_connection_check
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.cli import cli
from appio_core.config import load_settings
from appio_core.demo.accounts import DEMO_SERVICES, seed_demo
from appio_core.domain import Outcome
from appio_core.flows.importing import Templates
from appio_core.health import check_health
from appio_core.io import budget_store
from appio_core.io.models import TEST_FISCAL_CODE
from appio_core.notifications.queued import queue_new
from appio_core.notifications.recipient_check import check_recipient
from appio_core.notifications.single import NewNotification, resend, send_new
from appio_core.notifications.status_refresh import refresh_status
from appio_core.notifications.trial import send_file_trial
from appio_core.sending.singles import QueuedSingles
from appio_core.storage.models import IoAccount, Notification, Service, utcnow

ROOT = Path(__file__).resolve().parents[2]
TARI = DEMO_SERVICES[0]
TEXT = "Gentile cittadino, le ricordiamo la scadenza del pagamento della tassa sui rifiuti. " * 2


@dataclass(frozen=True)
class World:
    sessions: sessionmaker[Session]
    keybox: KeyBox
    service_id: int
    text_file: Path

    def message(self, **changes: object) -> NewNotification:
        values: dict[str, object] = {
            "service_id": self.service_id,
            "fiscal_code": TEST_FISCAL_CODE,
            "subject": "Promemoria TARI 2026",
            "text": TEXT,
            **changes,
        }
        return NewNotification(**values)  # type: ignore[arg-type]

    def sent(self) -> int:
        return send_new(self.sessions, Actor.system(), self.message(), self.keybox, "simulator").id


def cli_run(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


# Each way in: the module that builds its IO client, how to get there (a preparation that
# returns the call), and the requests the call makes.
Way = Callable[[World], Callable[[], object]]


def nuova_notifica(w: World) -> Callable[[], object]:
    return lambda: send_new(w.sessions, Actor.system(), w.message(), w.keybox, "simulator")


def reinvia(w: World) -> Callable[[], object]:
    sent = w.sent()
    with w.sessions.begin() as session:
        session.execute(
            update(Notification)
            .where(Notification.id == sent)
            .values(outcome=Outcome.UNCERTAIN, io_message_id=None)
        )
    return lambda: resend(w.sessions, Actor.system(), sent, w.keybox, "simulator")


def invio_di_prova(w: World) -> Callable[[], object]:
    source = b"codice_fiscale;nome\nRSSMRA80A01H501U;Mario\n"
    templates = Templates(subject="Avviso per {{nome}}", text=TEXT + "{{nome}}")
    return lambda: send_file_trial(
        w.sessions, Actor.system(), w.service_id, source, "prova.csv", templates, None,
        w.keybox, "simulator",
    )  # fmt: skip


def verifica_destinatario(w: World) -> Callable[[], object]:
    return lambda: check_recipient(
        w.sessions, Actor.system(), w.service_id, TEST_FISCAL_CODE, w.keybox, "simulator"
    )


def aggiorna_stato(w: World) -> Callable[[], object]:
    sent = w.sent()
    return lambda: refresh_status(w.sessions, Actor.system(), sent, w.keybox, "simulator")


def verifica_connessione(w: World) -> Callable[[], object]:
    def run() -> object:
        with w.sessions() as session:
            return run_connection_check(
                session, Actor.system(), w.service_id, w.keybox, load_settings()
            )

    return run


def io_status(w: World) -> Callable[[], object]:
    with w.sessions() as session:
        row = session.get(Notification, w.sent())
        assert row is not None and row.io_message_id
        message_id = row.io_message_id
    return lambda: cli_run("io", "status", TEST_FISCAL_CODE, message_id, "--service", TARI.name)


def coda_api(w: World) -> Callable[[], object]:
    """A message queued by the API (POST /api/v1/notifications), sent by a worker."""
    queue_new(w.sessions, Actor.system(), w.message(request_key="api-1"), w.keybox)
    singles = QueuedSingles(w.sessions, w.keybox, "simulator", "worker-test", utcnow)
    return lambda: asyncio.run(singles.send_due())


def health_io(w: World) -> Callable[[], object]:
    def run() -> object:
        report = check_health(load_settings(), io=True)
        assert report.ok, report
        return report

    return run


SEND = ("--service", TARI.name, "--fiscal-code", TEST_FISCAL_CODE, "--subject", "Promemoria TARI")
WAYS_IN: dict[str, tuple[str, Way, int]] = {
    "«Nuova notifica»": ("appio_core.notifications.single_send", nuova_notifica, 2),
    "«Reinvia» a single message": ("appio_core.notifications.single_send", reinvia, 2),
    "«Invio di prova»": ("appio_core.notifications.single_send", invio_di_prova, 2),
    "POST /api/v1/notifications, sent by a worker": (
        "appio_core.notifications.single_send",
        coda_api,
        2,
    ),
    "«Verifica destinatario»": (
        "appio_core.notifications.recipient_check",
        verifica_destinatario,
        1,
    ),
    "«Aggiorna stato»": ("appio_core.notifications.status_refresh", aggiorna_stato, 1),
    # The key that works, then whether it may write to every citizen.
    "«Verifica connessione»": ("appio_core.accounts.connection_check", verifica_connessione, 2),
    "appio notification send": (
        "appio_core.notifications.single_send",
        lambda w: lambda: cli_run("notification", "send", *SEND, "--text-file", str(w.text_file)),
        2,
    ),
    "appio io send": (
        "appio_core.notifications.single_send",
        lambda w: lambda: cli_run("io", "send", *SEND, "--text-file", str(w.text_file)),
        1,
    ),
    "appio io profile": (
        "appio_core.cli.io",
        lambda w: lambda: cli_run("io", "profile", TEST_FISCAL_CODE, "--service", TARI.name),
        1,
    ),
    "appio io status": ("appio_core.cli.io", io_status, 1),
    "appio io check": (
        "appio_core.cli.io",
        lambda w: lambda: cli_run("io", "check", "--service", TARI.name),
        2,
    ),
    "appio health --io": ("appio_core.health", health_io, 2),
}


@pytest.fixture
def world(app_env: str, sessions: sessionmaker[Session], keybox: KeyBox, tmp_path: Path) -> World:
    """The demo services on the in-process simulator, their account limited as IO's."""
    with sessions.begin() as session:
        seed_demo(session, keybox)
        session.execute(update(IoAccount).values(rate_limit_requests=150))
        service_id = session.query(Service).filter_by(name=TARI.name).one().id
    text_file = tmp_path / "messaggio.md"
    text_file.write_text(TEXT, encoding="utf-8")
    return World(sessions, keybox, service_id, text_file)


def bookings(engine: Engine, sessions: sessionmaker[Session], service_id: int) -> int:
    with sessions() as session:
        service = session.get(Service, service_id)
        assert service is not None
        return budget_store.bookings(engine, service.account_id)


@pytest.mark.parametrize("way", WAYS_IN, ids=list(WAYS_IN))
def test_each_way_to_io_outside_the_worker_books_its_requests_on_the_shared_budget(
    world: World, engine: Engine, way: str
) -> None:
    _, prepare, requests = WAYS_IN[way]
    call = prepare(world)
    before = bookings(engine, world.sessions, world.service_id)
    call()
    assert bookings(engine, world.sessions, world.service_id) - before == requests


# ---- no other way to IO ------------------------------------------------------------------

# Who may build an IO client or a limiter, and why.
BUILDERS = {
    # make_io_client: the clients of the ways in, paced by the shared budget.
    "IoClient": {"appio_core.accounts.io_access", "appio_core.sending.clients"},
    # The worker's limiter, from the registry, only with the budget's watch.
    "limiter_for_account": {"appio_core.sending.clients"},
    # IO's limiter; and the API's limiter per key (appio_core.api.limits), another class of
    # the same name that never calls IO.
    "RateLimiter": {"appio_core.io.rate_limit", "appio_core.api.app"},
}


def _calls() -> dict[str, set[str]]:
    """Module by module (core, UI, pages), the names called among those above and
    make_io_client."""
    found: dict[str, set[str]] = {}
    sources = [*ROOT.glob("appio_core/**/*.py"), *ROOT.glob("appio_ui/**/*.py")]
    sources += [*ROOT.glob("pages/*.py"), ROOT / "app.py"]
    for path in sources:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in (*BUILDERS, "make_io_client"):
                    found.setdefault(name, set()).add(module)
    return found


def test_io_clients_and_limiters_are_built_only_where_the_budget_paces_them() -> None:
    calls = _calls()
    assert {name: calls.get(name, set()) for name in BUILDERS} == BUILDERS


def test_every_module_that_calls_io_outside_the_worker_is_a_way_in_tested_above() -> None:
    tested = {module for module, _, _ in WAYS_IN.values()}
    assert _calls()["make_io_client"] == tested
