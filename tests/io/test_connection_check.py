""" "Verifica connessione" on the Servizi page: what it finds, in the operator's words."""

from __future__ import annotations

import httpx
import pytest
from io_helpers import ANAGRAFE_KEYS, TRIBUTI, TRIBUTI_KEYS, FakeClock, client_on
from sqlalchemy.orm import Session

from appio_core.accounts.connection_check import (
    ConnectionCheck,
    ConnectionOutcome,
    check_connection,
    run_connection_check,
)
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import set_account_rate_limit
from appio_core.config import load_settings
from appio_core.demo.accounts import seed_demo
from appio_core.domain import Role
from appio_core.errors import PermissionDenied
from appio_core.io.models import ApiKeys
from appio_core.io.simulator import SimulatorApp
from appio_core.storage.models import Service
from tests.conftest import TEST_SECRET_KEY

SIMULATOR_ENV = {"APPIO_IO_BASE_URL": "simulator", "APPIO_SECRET_KEY": TEST_SECRET_KEY}

VALID = (
    ConnectionOutcome.VALID_KEY,
    "Chiave valida: IO ha risposto e il servizio può scrivere a tutti i cittadini.",
)
LIMITED = (
    ConnectionOutcome.LIMITED_KEY,
    "Chiave valida, ma in modalità limitata: può scrivere solo ai destinatari autorizzati (tra "
    "cui il cittadino di test AAAAAA00A00A000A). Per inviare a tutti i cittadini chiedi a PagoPA "
    "l'abilitazione all'invio massivo.",
)
SECONDARY_ONLY = (
    ConnectionOutcome.VALID_KEY,
    "Chiave valida: IO ha risposto e il servizio può scrivere a tutti i cittadini. Attenzione: IO "
    "ha rifiutato la chiave primaria e funziona solo la secondaria: aggiorna la chiave primaria.",
)
REFUSED = (
    ConnectionOutcome.KEY_REFUSED,
    "Chiave rifiutata: IO non riconosce né la chiave primaria né la secondaria. Copia le chiavi "
    "attuali dal portale IO.",
)
NETWORK = (
    ConnectionOutcome.NETWORK_ERROR,
    "IO non raggiungibile (errore di rete): controlla la connessione del server a Internet e "
    "riprova.",
)
UNAVAILABLE = (
    ConnectionOutcome.OTHER,
    "Verifica non riuscita: IO non è disponibile in questo momento (codice 503): riprova più "
    "tardi.",
)

KEYS_CASES = [
    ("valid key", TRIBUTI_KEYS, VALID),
    ("limited key", ANAGRAFE_KEYS, LIMITED),
    ("only the secondary works", ApiKeys("old-primary-key-01", TRIBUTI.secondary_key),
     SECONDARY_ONLY),
    ("both refused", ApiKeys("old-primary-key-01", "old-secondary-k01"), REFUSED),
    ("refused, no secondary", ApiKeys("old-primary-key-01", None), REFUSED),
]  # fmt: skip


@pytest.mark.parametrize(
    ("keys", "expected"), [c[1:] for c in KEYS_CASES], ids=[c[0] for c in KEYS_CASES]
)
async def test_the_check_says_what_it_found_about_the_key(
    sim: SimulatorApp, keys: ApiKeys, expected: tuple[ConnectionOutcome, str]
) -> None:
    check = await check_connection(client_on(sim), keys)
    assert (check.outcome, check.message) == expected


def failing(answer: Exception | httpx.Response) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (httpx.ConnectError("Connection refused"), NETWORK),
        (httpx.ReadTimeout("timed out"), NETWORK),
        (httpx.Response(503, json={"statusCode": 503, "message": "Unavailable"}), UNAVAILABLE),
    ],
    ids=["connection refused", "timeout", "503"],
)
async def test_the_check_tells_a_network_problem_from_a_key_problem(
    clock: FakeClock, answer: Exception | httpx.Response, expected: tuple[ConnectionOutcome, str]
) -> None:
    check = await check_connection(client_on(failing(answer), sleep=clock.sleep), TRIBUTI_KEYS)
    assert (check.outcome, check.message, check.ok) == (*expected, False)


def test_the_servizi_page_check_loads_the_services_keys_and_runs_on_the_simulator(
    session: Session, keybox: KeyBox, admin: Actor
) -> None:
    seed_demo(session, keybox)
    session.commit()
    settings = load_settings(SIMULATOR_ENV)
    results: dict[str, ConnectionCheck] = {}
    for service in session.query(Service).order_by(Service.name):
        results[service.name] = run_connection_check(session, admin, service.id, keybox, settings)
    assert {name: r.outcome for name, r in results.items()} == {
        "Anagrafe - Carta d'identità": ConnectionOutcome.LIMITED_KEY,
        "Servizi scolastici - Mensa": ConnectionOutcome.VALID_KEY,
        "Tributi - TARI": ConnectionOutcome.VALID_KEY,
    }


def test_the_check_refuses_an_operator_not_enabled_on_the_service(
    session: Session, keybox: KeyBox
) -> None:
    seed_demo(session, keybox)
    session.commit()
    service = session.query(Service).filter_by(name="Anagrafe - Carta d'identità").one()
    viewer = Actor(999, "lbianchi", "Lucia Bianchi", Role.VIEWER)
    settings = load_settings(SIMULATOR_ENV)
    with pytest.raises(PermissionDenied):
        run_connection_check(session, viewer, service.id, keybox, settings)


def test_the_check_works_on_an_account_without_a_rate_limit(
    session: Session, keybox: KeyBox, admin: Actor
) -> None:
    # 0 requests means "no limit" (some IO accounts have none); the check used to build a
    # limiter of 0 requests and fail with a ValueError (a traceback on the Servizi page).
    seed_demo(session, keybox)
    service = session.query(Service).filter_by(name="Tributi - TARI").one()
    set_account_rate_limit(session, admin, service.account.name, 0, 5)
    session.commit()
    settings = load_settings(SIMULATOR_ENV)
    check = run_connection_check(session, admin, service.id, keybox, settings)
    assert (check.outcome, check.message) == VALID
