"""No traceback reaches the browser: an unexpected error shows an Italian message with a
reference code, and the server's log has the details under that code, without data."""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts import services
from appio_core.accounts.operators import create_operator
from appio_core.accounts.permissions import Actor
from appio_core.domain import Role

from .apptest import app_as

ROOT = Path(__file__).resolve().parent.parent
SECRET_IN_MESSAGE = "RSSMRA80A01H501U chiave-segreta-1234"


def test_streamlit_is_told_to_show_no_error_details() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_an_unexpected_error_shows_a_reference_code_and_logs_no_data(
    app_env: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with sessions.begin() as session:
        operator = create_operator(
            session, Actor.system(), "mrossi", "password-1234", Role.OPERATOR
        )
        actor = Actor.of(operator)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(SECRET_IN_MESSAGE)

    monkeypatch.setattr(services, "list_services", broken)
    with caplog.at_level(logging.ERROR, logger="appio_ui.unexpected"):
        at = app_as(actor)  # «Flussi», whose service filter lists the services
    [message] = [e.value for e in at.error]
    found = re.search(r"comunica all'assistenza il codice ([0-9A-F]{8})", message)
    assert found is not None, message
    assert message.startswith("Si è verificato un errore imprevisto")
    assert SECRET_IN_MESSAGE not in message and "RuntimeError" not in message
    logged = caplog.text
    assert found.group(1) in logged and "RuntimeError" in logged and "flussi.py" in logged
    assert "RSSMRA80A01H501U" not in logged and "chiave-segreta" not in logged
