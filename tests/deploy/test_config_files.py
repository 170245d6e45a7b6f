"""Secrets given as files (`APPIO_SECRET_KEY_FILE`, `APPIO_DATABASE_URL_FILE`), the
convention of Docker secrets and systemd credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from appio_core.config import ConfigError, load_settings

KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()


def test_the_secret_key_is_read_from_its_file_without_the_trailing_newline(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(KEY + "\n")
    settings = load_settings(
        {"APPIO_SECRET_KEY_FILE": str(key_file), "APPIO_DATA_DIR": str(tmp_path / "data")}
    )
    assert settings.secret_key == KEY
    # Read from the file: no key generated under the data directory.
    assert not (tmp_path / "data" / "secret.key").exists()


def test_the_database_url_is_read_from_its_file(tmp_path: Path) -> None:
    url_file = tmp_path / "database_url"
    url_file.write_text("postgresql+psycopg://appio:s3cret@db/appio\r\n")
    settings = load_settings({"APPIO_DATABASE_URL_FILE": str(url_file), "APPIO_SECRET_KEY": KEY})
    assert settings.database_url == "postgresql+psycopg://appio:s3cret@db/appio"
    assert settings.start_worker is False  # PostgreSQL: the default follows the real URL


def test_the_plain_variable_wins_over_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(OTHER_KEY)
    settings = load_settings({"APPIO_SECRET_KEY": KEY, "APPIO_SECRET_KEY_FILE": str(key_file)})
    assert settings.secret_key == KEY


def test_an_empty_plain_variable_leaves_the_file_in_charge(tmp_path: Path) -> None:
    # compose's `${APPIO_SECRET_KEY:-}` passes an empty variable when none is set.
    key_file = tmp_path / "secret_key"
    key_file.write_text(KEY)
    settings = load_settings({"APPIO_SECRET_KEY": "", "APPIO_SECRET_KEY_FILE": str(key_file)})
    assert settings.secret_key == KEY


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError) as raised:
        load_settings({"APPIO_SECRET_KEY_FILE": str(missing)})
    assert raised.value.message == (
        f"APPIO_SECRET_KEY_FILE indica il file {missing}, che non esiste: crea il file "
        "o correggi la variabile."
    )


def test_an_unreadable_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url_file = tmp_path / "database_url"
    url_file.write_text("sqlite://")

    # CI runs as root, who reads any file whatever its mode: the refusal is simulated.
    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(ConfigError, match="non può leggere: controlla proprietario e permessi"):
        load_settings({"APPIO_DATABASE_URL_FILE": str(url_file), "APPIO_SECRET_KEY": KEY})


def test_a_directory_instead_of_a_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^Impossibile leggere il file .* \(APPIO_SECRET_KEY"):
        load_settings({"APPIO_SECRET_KEY_FILE": str(tmp_path)})


def test_an_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("\n")
    with pytest.raises(ConfigError) as raised:
        load_settings({"APPIO_SECRET_KEY_FILE": str(key_file)})
    assert raised.value.message == f"Il file {key_file} (APPIO_SECRET_KEY_FILE) è vuoto."


def test_the_cli_shows_a_file_error_as_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from appio_core.cli import cli

    monkeypatch.setenv("APPIO_SECRET_KEY_FILE", str(tmp_path / "nowhere"))
    monkeypatch.delenv("APPIO_SECRET_KEY", raising=False)
    monkeypatch.setenv("APPIO_DATABASE_URL", f"sqlite:///{tmp_path / 'appio.db'}")
    result = CliRunner().invoke(cli, ["service", "list"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Errore: APPIO_SECRET_KEY_FILE indica il file {tmp_path / 'nowhere'}, che non esiste: "
        "crea il file o correggi la variabile."
    ]
