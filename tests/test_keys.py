"""The installation's secret key: required outside the demo, several for rotation, never in
a repr, and IO's address only over https."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox, KeyUnreadable
from appio_core.accounts.services import ServiceInput, create_service, open_keys, rotate_keys
from appio_core.cli import cli
from appio_core.config import ConfigError, load_settings
from appio_core.io.models import ApiKeys
from appio_core.storage.models import Service

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
SERVICE = ServiceInput(
    name="Tributi", io_service_id="01JTRIB", primary_key="primary-key-1234",
    secondary_key="secondary-key-5678",
)  # fmt: skip


def test_outside_the_demo_the_secret_key_is_required_in_italian(tmp_path: object) -> None:
    with pytest.raises(ConfigError, match=r"^Manca la chiave segreta: imposta APPIO_SECRET_KEY"):
        load_settings({"APPIO_DATA_DIR": str(tmp_path)})


def test_a_command_beside_the_demo_is_told_to_use_the_simulator(tmp_path: Path) -> None:
    """The demo's folder holds its own key, used only with the simulator: `appio flow
    status 1` run there without APPIO_IO_BASE_URL says how to reach the demo."""
    load_settings({"APPIO_DATA_DIR": str(tmp_path), "APPIO_IO_BASE_URL": "simulator"})
    with pytest.raises(ConfigError) as refused:
        load_settings({"APPIO_DATA_DIR": str(tmp_path)})
    message = str(refused.value)
    assert message.startswith("Manca la chiave segreta")
    assert "imposta anche APPIO_IO_BASE_URL=simulator" in message


def test_the_demo_may_generate_its_key_in_an_absolute_data_folder(tmp_path: object) -> None:
    env = {"APPIO_DATA_DIR": f"{tmp_path}/./dati", "APPIO_IO_BASE_URL": "simulator"}
    first = load_settings(env)
    assert first.data_dir.is_absolute() and first.data_dir.name == "dati"
    assert load_settings(env).secret_key == first.secret_key  # the same key next time


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://api.io.pagopa.it/api/v1", True),
        ("simulator", True),
        ("http://127.0.0.1:8787/api/v1", True),
        ("http://localhost:8787/api/v1", True),
        ("http://api.io.pagopa.it/api/v1", False),
        ("http://10.0.0.5/api/v1", False),
        ("ftp://example.com", False),
    ],
)
def test_the_keys_travel_only_over_https(url: str, accepted: bool) -> None:
    env = {"APPIO_SECRET_KEY": NEW, "APPIO_IO_BASE_URL": url}
    if accepted:
        assert load_settings(env).io_base_url == url
    else:
        with pytest.raises(ConfigError, match="deve iniziare con https://"):
            load_settings(env)


def test_a_malformed_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"APPIO_SECRET_KEY": f"{NEW},not-a-key"})
    assert "chiave n. 2" in refused.value.message
    assert "not-a-key" not in refused.value.message


def test_no_secret_in_any_repr() -> None:
    settings = load_settings(
        {"APPIO_SECRET_KEY": NEW, "APPIO_DATABASE_URL": "postgresql+psycopg://u:pw-123@db/appio"}
    )
    shown = " ".join(
        repr(x) for x in (settings, KeyBox(NEW), ApiKeys("primary-key-1234", "s-5678"), SERVICE)
    )
    for secret in (NEW, "pw-123", "primary-key-1234", "s-5678", "secondary-key-5678"):
        assert secret not in shown
    assert settings.database == "postgresql+psycopg://u:***@db/appio"


def test_rotation_reencrypts_every_key_with_the_new_secret(session: Session, admin: Actor) -> None:
    service = create_service(session, admin, SERVICE, KeyBox(OLD))
    both = KeyBox(f"{NEW},{OLD}")
    assert rotate_keys(session, admin, both) == 2
    assert open_keys(service, KeyBox(NEW)) == ApiKeys("primary-key-1234", "secondary-key-5678")
    with pytest.raises(KeyUnreadable):
        open_keys(service, KeyBox(OLD))


def test_rotation_is_all_or_nothing_when_a_key_cannot_be_opened(
    session: Session, admin: Actor
) -> None:
    create_service(session, admin, SERVICE, KeyBox(OLD))
    stranger = Fernet.generate_key().decode()
    with pytest.raises(KeyUnreadable, match="«Tributi»"):
        rotate_keys(session, admin, KeyBox(f"{NEW},{stranger}"))


def test_appio_keys_generate_and_rotate(app_env: str, session: Session, admin: Actor,
                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from tests.conftest import TEST_SECRET_KEY

    create_service(session, admin, SERVICE, KeyBox(TEST_SECRET_KEY))
    session.commit()
    generated = CliRunner().invoke(cli, ["keys", "generate"]).output.strip()
    Fernet(generated.encode())  # a valid key
    monkeypatch.setenv("APPIO_SECRET_KEY", f"{generated},{TEST_SECRET_KEY}")
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 chiavi cifrate con la nuova chiave segreta.")
    session.expire_all()
    stored = session.query(Service).one()
    assert open_keys(stored, KeyBox(generated)).primary == "primary-key-1234"


def test_the_app_says_at_start_that_the_secret_key_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from tests.apptest import app_as

    monkeypatch.delenv("APPIO_SECRET_KEY", raising=False)
    monkeypatch.delenv("APPIO_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("APPIO_IO_BASE_URL", "https://api.io.pagopa.it/api/v1")
    monkeypatch.setenv("APPIO_DATA_DIR", str(tmp_path))
    at = app_as(None)
    assert at.error[0].value.startswith("Configurazione da correggere: Manca la chiave segreta")


def test_rotation_reencrypts_the_ente_s_manage_key_too(session: Session, admin: Actor) -> None:
    from appio_core.accounts.manage_key import open_manage_key, set_manage_key

    create_service(session, admin, SERVICE, KeyBox(OLD))
    set_manage_key(session, admin, "ente-manage-key-0001", KeyBox(OLD))
    assert rotate_keys(session, admin, KeyBox(f"{NEW},{OLD}")) == 3
    assert open_manage_key(session, admin, KeyBox(NEW)) == "ente-manage-key-0001"
    with pytest.raises(KeyUnreadable):
        open_manage_key(session, admin, KeyBox(OLD))


def test_a_manage_key_no_secret_opens_stops_the_rotation(session: Session, admin: Actor) -> None:
    from appio_core.accounts.manage_key import set_manage_key

    set_manage_key(session, admin, "ente-manage-key-0001", KeyBox(Fernet.generate_key().decode()))
    with pytest.raises(KeyUnreadable, match=r"^La chiave di gestione \(manage\) dell'ente non"):
        rotate_keys(session, admin, KeyBox(f"{NEW},{OLD}"))
