"""Notifications fixtures: demo services on the in-process simulator, operators by role,
and citizens of each kind the simulator knows (on IO, not on IO, service blocked)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.demo.accounts import DEMO_SERVICES, seed_demo
from appio_core.domain import Role
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.notifications.single import NewNotification, SingleResult, send_new
from appio_core.storage.models import IoAccount, Service

TARI = DEMO_SERVICES[0]
MENSA = DEMO_SERVICES[1]
SUBJECT = "Promemoria TARI 2026"
TEXT = (
    "Gentile cittadino, le ricordiamo che il 16 dicembre scade la seconda rata della TARI."
    " Trova l'avviso di pagamento nella sezione Tributi del sito del Comune."
)


def citizen(kind: Kind, index: int = 0, service: str = TARI.io_service_id) -> str:
    """A codice fiscale the simulator treats as `kind` for the service."""
    return in_process_simulator().population.find(kind, service, index + 1)[index]


@pytest.fixture(autouse=True)
def fresh_simulator() -> None:
    """The in-process simulator lives as long as the test process: each test starts with
    an empty record, so that «exactly one message» means one of this test's."""
    in_process_simulator().record.clear()


@pytest.fixture
def services(app_env: str, sessions: sessionmaker[Session], keybox: KeyBox) -> dict[str, int]:
    """The demo services (name → id) and operators, committed; no client-side pacing."""
    with sessions.begin() as session:
        seed_demo(session, keybox)
        for account in session.query(IoAccount):
            account.rate_limit_requests = 0
        return {s.name: s.id for s in session.query(Service)}


@pytest.fixture
def operator(services: dict[str, int], sessions: sessionmaker[Session]) -> Actor:
    """mrossi, operatore on Tributi and Mensa (demo data)."""
    from appio_core.accounts.operators import get_operator

    with sessions() as session:
        return Actor.of(get_operator(session, "mrossi"))


@pytest.fixture
def viewer(services: dict[str, int], sessions: sessionmaker[Session]) -> Actor:
    """lbianchi, consultazione on Tributi (demo data)."""
    from appio_core.accounts.operators import get_operator

    with sessions() as session:
        return Actor.of(get_operator(session, "lbianchi"))


@pytest.fixture
def message(services: dict[str, int]) -> NewNotification:
    return NewNotification(
        service_id=services[TARI.name],
        fiscal_code=citizen(Kind.WITH_IO),
        subject=SUBJECT,
        text=TEXT,
    )


@pytest.fixture
def send(sessions: sessionmaker[Session], keybox: KeyBox) -> Callable[..., SingleResult]:
    """send(actor, message, **changes): «Aggiungi» against the in-process simulator."""

    def run(actor: Actor, message: NewNotification, **changes: object) -> SingleResult:
        return send_new(sessions, actor, replace(message, **changes), keybox, "simulator")

    return run


def role_actor(session: Session, username: str, role: Role, *services: str) -> Actor:
    from appio_core.accounts.operators import create_operator
    from appio_core.accounts.services import enable_operator

    created = create_operator(session, Actor.system(), username, "password-1234", role)
    for name in services:
        enable_operator(session, Actor.system(), name, username)
    return Actor.of(created)
