"""`appio io manage-key`, `appio service import-from-io`, `appio keys regenerate`, against
the in-process simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.io_import import ACCOUNT_NOTE
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.service_keys import open_keys
from appio_core.accounts.services import ServiceInput, create_service
from appio_core.audit.models import AUDIT_LOG
from appio_core.cli import cli
from appio_core.io import http
from appio_core.io.models import ApiKeys
from appio_core.io.simulator import SimulatorApp, create_app, demo_config
from appio_core.io.simulator.demo import DEMO_IO_ONLY_SERVICES, DEMO_MANAGE_KEY, DEMO_SERVICES
from appio_core.storage.models import Service
from appio_core.storage.runtime_models import Institution

TRIBUTI = DEMO_SERVICES[0]
POLIZIA, SOCIALI = DEMO_IO_ONLY_SERVICES


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def simulator(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorApp]:
    """The in-process simulator of APPIO_IO_BASE_URL=simulator, this test's own: the keys it
    regenerates stay out of the other tests."""
    app = create_app(demo_config(rate_limit=False, processing_delay=0.0))
    monkeypatch.setattr(http, "_simulator", app)
    yield app


@pytest.fixture
def tributi(simulator: SimulatorApp, session: Session, keybox: KeyBox, admin: Actor) -> int:
    """Tributi here, with the demo's keys; no manage key yet."""
    data = ServiceInput(
        name=TRIBUTI.name, io_service_id=TRIBUTI.io_service_id,
        primary_key=TRIBUTI.primary_key, secondary_key=TRIBUTI.secondary_key,
    )  # fmt: skip
    service = create_service(session, admin, data, keybox)
    session.commit()
    return service.id


def test_the_manage_key_is_read_from_the_first_line_of_stdin_and_shown_masked(
    tributi: int, session: Session, keybox: KeyBox
) -> None:
    result = run("io", "manage-key", input=f"{DEMO_MANAGE_KEY}\nignored\n")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Chiave di gestione salvata (••••0001). Ora: appio service import-from-io,"
        " appio keys regenerate --service N.\n"
    )
    stored = session.scalar(select(Institution))
    assert stored is not None and keybox.open(str(stored.manage_key_encrypted)) == DEMO_MANAGE_KEY


def test_an_empty_stdin_is_refused_in_italian(tributi: int) -> None:
    result = run("io", "manage-key", input="")
    assert result.exit_code == 1
    assert result.output == "Errore: Scrivi la chiave di gestione sulla prima riga dello stdin.\n"


def test_without_a_manage_key_the_import_says_how_to_set_one(tributi: int) -> None:
    result = run("service", "import-from-io")
    assert result.exit_code == 1
    assert result.output.startswith("Errore: Manca la chiave di gestione (manage) dell'ente")


def test_the_ente_s_services_are_listed_then_imported(
    tributi: int, session: Session, keybox: KeyBox
) -> None:
    run("io", "manage-key", input=DEMO_MANAGE_KEY)
    listed = run("service", "import-from-io")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0] == (
        f"{TRIBUTI.io_service_id}\tTributi - TARI\tApprovato\tComune di Esempio\t"
        "massimo € 10.000,00\tgià presente come «Tributi - TARI»"
    )
    assert lines[3] == (
        f"{POLIZIA.io_service_id}\tPolizia locale - Sanzioni\tApprovato\tComune di Esempio\t"
        "massimo € 2.000,00\tda importare"
    )
    imported = run(
        "service", "import-from-io", "--service-id", POLIZIA.io_service_id,
        "--service-id", TRIBUTI.io_service_id,
    )  # fmt: skip
    assert imported.output.splitlines() == [
        "Aggiunti 1: «Polizia locale - Sanzioni».",
        ACCOUNT_NOTE,
        f"Già presenti, lasciati invariati: «Tributi - TARI» ({TRIBUTI.io_service_id}).",
    ]
    polizia = session.scalar(select(Service).where(Service.io_service_id == POLIZIA.io_service_id))
    assert polizia is not None
    assert open_keys(polizia, keybox) == ApiKeys(POLIZIA.primary_key, POLIZIA.secondary_key)
    everything = run("service", "import-from-io", "--all")
    assert everything.output.splitlines()[0] == (
        "Aggiunti 3: «Servizi scolastici - Mensa», «Anagrafe - Carta d'identità», «Servizi"
        " sociali - Contributi»."
    )
    assert session.query(Service).count() == 5


def test_keys_regenerate_replaces_both_keys_and_the_app_keeps_sending(
    tributi: int, simulator: SimulatorApp, session: Session, keybox: KeyBox
) -> None:
    run("io", "manage-key", input=DEMO_MANAGE_KEY)
    result = run("keys", "regenerate", "--service", "Tributi - TARI")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Passo 1 di 4: IO ha rigenerato la chiave secondaria; la nuova è salvata cifrata.",
        "Passo 2 di 4: l'app usa per prima la nuova chiave secondaria.",
        "Passo 3 di 4: nessun invio in corso usava la chiave primaria; IO l'ha rigenerata e"
        " la nuova è salvata cifrata.",
        "Passo 4 di 4: l'app usa di nuovo per prima la chiave primaria, quella nuova.",
        "Chiavi del servizio «Tributi - TARI» rigenerate.",
    ]
    now = simulator.gateway.keys_of(TRIBUTI.io_service_id)
    assert now["primary"] != TRIBUTI.primary_key
    stored = session.get(Service, tributi)
    assert stored is not None and open_keys(stored, keybox) == ApiKeys(
        now["primary"], now["secondary"]
    )
    check = run("io", "check", "--service", "Tributi - TARI")
    assert check.output.startswith("Chiave valida"), check.output
    logged = " ".join(map(str, session.execute(select(AUDIT_LOG)).all()))
    assert now["primary"][-4:] not in logged and now["secondary"][-4:] not in logged


def test_a_wrong_manage_key_is_refused_by_io_in_italian(tributi: int) -> None:
    run("io", "manage-key", input="not-the-manage-key")
    result = run("keys", "regenerate", "--service", "Tributi - TARI")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Errore: La chiave di gestione (manage) è stata rifiutata da IO: copia quella attuale"
    )
