"""`appio health`: what the IT technician and the monitoring see, and the exit status."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from appio_core.cli import cli
from appio_core.health import _reason
from appio_core.storage.migrate import MIGRATIONS_DIR, upgrade
from tests.conftest import TEST_SECRET_KEY

PRIMARY_KEY = "tributi-primary-KEY-0001"
SECONDARY_KEY = "tributi-second-KEY-0002"
DB_PASSWORD = "Sup3r$egret"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def add_service(name: str = "Tributi", primary_key: str = PRIMARY_KEY) -> None:
    added = run(
        "service", "add", "--name", name, "--service-id", f"01J{name.upper()}",
        "--primary-key", primary_key, "--secondary-key", SECONDARY_KEY,
    )  # fmt: skip
    assert added.exit_code == 0, added.output


def lines(result: Result) -> list[str]:
    return result.output.strip().splitlines()


def previous_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_revision("head")
    assert head is not None and isinstance(head.down_revision, str)
    return head.down_revision


@pytest.fixture
def fresh_env(fresh_db_url: str, app_env: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI pointed at a database never migrated."""
    monkeypatch.setenv("APPIO_DATABASE_URL", fresh_db_url)
    return fresh_db_url


def test_a_healthy_installation_answers_ok_and_exits_0(app_env: str) -> None:
    add_service()
    result = run("health")
    assert result.exit_code == 0, result.output
    assert lines(result)[1:] == [
        "OK: Migrazioni del database aggiornate.",
        "OK: La chiave segreta decifra le chiavi di tutti i servizi (1).",
    ]
    assert lines(result)[0].startswith("OK: Database raggiungibile (")


def test_the_json_report_lists_every_check(app_env: str) -> None:
    result = run("health", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    assert [(c["name"], c["ok"]) for c in report["checks"]] == [
        ("database", True),
        ("migrazioni", True),
        ("chiavi", True),
    ]
    assert report["checks"][2]["message"] == (
        "Nessun servizio configurato: nessuna chiave da decifrare."
    )


def test_a_wrong_secret_key_is_reported_without_showing_any_key(
    app_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_service("Tributi")
    add_service("Mensa", "mensa-primary-KEY-0003")
    other_key = Fernet.generate_key().decode()
    monkeypatch.setenv("APPIO_SECRET_KEY", other_key)
    result = run("health")
    assert result.exit_code == 1
    assert lines(result)[-1] == (
        "ERRORE: La chiave segreta non decifra le chiavi di 2 servizi su 2 (Mensa, Tributi): "
        "APPIO_SECRET_KEY non è quella con cui sono state salvate. Ripristina la chiave dal "
        "backup, oppure inserisci di nuovo le chiavi di quei servizi."
    )
    for secret in (PRIMARY_KEY, SECONDARY_KEY, other_key, TEST_SECRET_KEY, "0001", "0003"):
        assert secret not in result.output


def test_a_malformed_secret_key_is_reported(app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPIO_SECRET_KEY", "not-a-fernet-key")
    result = run("health")
    assert result.exit_code == 1
    assert "APPIO_SECRET_KEY non è valida" in lines(result)[-1]
    assert "not-a-fernet-key" not in result.output


def test_a_database_behind_on_migrations_says_to_run_init(fresh_env: str) -> None:
    upgrade(fresh_env, previous_revision())
    result = run("health")
    assert result.exit_code == 1
    assert lines(result)[1] == "ERRORE: Database indietro di 1 migrazione: esegui `appio init`."
    # The services table of the older schema is still checked.
    assert lines(result)[2] == "OK: Nessun servizio configurato: nessuna chiave da decifrare."
    assert run("init", "--admin-password-stdin", input="una-password-lunga\n").exit_code == 0
    assert run("health").exit_code == 0


def test_a_database_never_migrated_says_to_run_init(fresh_env: str) -> None:
    engine = create_engine(fresh_env)
    engine.connect().close()  # an empty database that exists (SQLite: an empty file)
    engine.dispose()
    result = run("health")
    assert result.exit_code == 1
    assert lines(result) == [
        lines(result)[0],
        "ERRORE: Database vuoto (nessuna migrazione applicata): esegui `appio init`.",
    ]
    assert lines(result)[0].startswith("OK: Database raggiungibile")


def test_a_database_migrated_by_a_newer_release_is_reported(fresh_env: str) -> None:
    upgrade(fresh_env)
    engine = create_engine(fresh_env)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    engine.dispose()
    result = run("health")
    assert result.exit_code == 1
    assert lines(result)[1].startswith(
        "ERRORE: Il database è alla revisione f00dcafe, che questa versione di IO Flussi "
        "non conosce"
    )


def test_a_schema_damaged_by_hand_is_reported_not_crashed_on(fresh_env: str) -> None:
    upgrade(fresh_env)
    engine = create_engine(fresh_env)
    with engine.begin() as conn:
        conn.execute(
            text(
                "DROP TABLE services CASCADE" if "postgres" in fresh_env else "DROP TABLE services"
            )
        )
    engine.dispose()
    result = run("health")
    assert result.exit_code == 1
    assert lines(result)[-1].startswith(
        "ERRORE: Il database ha risposto con un errore durante le verifiche: esegui "
        "`appio init`; se l'errore resta, ripristina l'ultimo backup. Dettaglio: "
    )
    assert "services" in lines(result)[-1]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_postgresql_is_reported_with_the_password_masked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    port = _closed_port()
    monkeypatch.setenv("APPIO_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv(
        "APPIO_DATABASE_URL", f"postgresql+psycopg://appio:Sup3r%24egret@127.0.0.1:{port}/appio"
    )
    result = run("health", "--io")
    assert result.exit_code == 1
    [line] = lines(result)
    assert line.startswith(
        f"ERRORE: Database non raggiungibile (postgresql+psycopg://appio:***@127.0.0.1:{port}"
        "/appio): controlla APPIO_DATABASE_URL, la rete e che il server del database sia acceso. "
        "Dettaglio: connection failed"
    )
    assert "Sup3r" not in result.output


def test_a_missing_sqlite_file_is_reported_and_not_created(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "data" / "appio.db"
    monkeypatch.setenv("APPIO_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("APPIO_DATABASE_URL", f"sqlite:///{path}")
    result = run("health")
    assert result.exit_code == 1
    assert lines(result) == [
        f"ERRORE: Database non trovato (sqlite:///{path}): esegui `appio init` per crearlo, "
        "o correggi APPIO_DATABASE_URL / APPIO_DATA_DIR."
    ]
    assert not path.exists()


def test_a_driver_message_that_quotes_the_password_is_scrubbed() -> None:
    url = "postgresql+psycopg://appio:Sup3r%24egret@db/appio"
    error = OperationalError("SELECT 1", {}, Exception(f"auth failed: {DB_PASSWORD}\nretry"))
    assert _reason(error, url) == "auth failed: *** retry"


def test_an_unreadable_secret_file_gives_a_json_report_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("APPIO_SECRET_KEY", raising=False)
    monkeypatch.setenv("APPIO_SECRET_KEY_FILE", str(tmp_path / "missing"))
    result = run("health", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.output)["checks"] == [
        {
            "name": "configurazione",
            "ok": False,
            "message": f"APPIO_SECRET_KEY_FILE indica il file {tmp_path / 'missing'}, che non "
            "esiste: crea il file o correggi la variabile.",
        }
    ]


def test_io_answers_for_the_demo_services_on_the_simulator(app_env: str) -> None:
    assert run("init", "--demo").exit_code == 0
    result = run("health", "--io")
    assert result.exit_code == 0, result.output
    assert lines(result)[-1] == (
        "OK: IO risponde (servizio «Tributi - TARI»): Chiave valida: IO ha risposto e il "
        "servizio può scrivere a tutti i cittadini."
    )


def test_a_key_that_io_refuses_fails_the_io_check(app_env: str) -> None:
    add_service("Sconosciuto", "unknown-to-io-KEY-0009")
    assert run("health").exit_code == 0  # without --io, IO is not asked
    result = run("health", "--io")
    assert result.exit_code == 1
    assert lines(result)[-1] == (
        "ERRORE: IO (servizio «Sconosciuto»): Chiave rifiutata: IO non riconosce né la chiave "
        "primaria né la secondaria. Copia le chiavi attuali dal portale IO."
    )


def test_io_cannot_be_checked_without_an_active_service(app_env: str) -> None:
    result = run("health", "--io")
    assert result.exit_code == 1
    assert lines(result)[-1] == (
        "ERRORE: Nessun servizio attivo: impossibile verificare IO. Aggiungi un servizio con "
        "la sua chiave (`appio service add` o la pagina Servizi)."
    )
