"""AppTest tests of «Registro attività» (administrators only) and of the logins and logouts
the frame records."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.operators import get_operator
from appio_core.accounts.permissions import Actor
from appio_ui import archive_table, auth
from appio_ui.grid import GridEvent

from ..apptest import app_as
from .conftest import Log, only

PAGE = "pages/registro.py"


@pytest.fixture
def admin(services: dict[str, int], sessions: sessionmaker[Session]) -> Actor:
    with sessions() as session:
        return Actor.of(get_operator(session, "admin"))


@pytest.fixture
def grid(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """AppTest cannot see inside AgGrid: the grid keeps the frame it was given and answers
    with `shown["event"]` (nothing by default)."""
    shown: dict[str, Any] = {"event": GridEvent()}

    def paged_grid(frame: pd.DataFrame, key: str, **kwargs: Any) -> GridEvent:
        shown["frame"] = frame
        event: GridEvent = shown["event"]
        return event

    monkeypatch.setattr(archive_table, "paged_grid", paged_grid)
    return shown


def test_the_log_is_in_the_navigation_of_administrators_only(admin: Actor, operator: Actor) -> None:
    at = app_as(admin, PAGE)
    assert at.title[0].value == "Registro attività"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as(operator, PAGE)


def test_the_log_lists_entries_newest_first_and_filters_them(
    admin: Actor, grid: dict[str, Any]
) -> None:
    at = app_as(admin, PAGE)
    frame = grid["frame"]
    assert at.caption[1].value.startswith(f"{len(frame)} voci.")
    first = frame.iloc[0]
    assert (first["operator"], first["action"]) == ("appio-cli", "Operatori abilitati al servizio")
    assert set(frame["outcome"]) == {"riuscito"}
    at.selectbox(key="af_action").select("Servizi e chiavi (tutte)")
    at.text_input(key="af_target").input("mensa")
    at.button(key="FormSubmitter:audit_filters-Elenca").click().run()
    assert not at.exception
    assert set(grid["frame"]["action"]) == {"Nuovo servizio", "Operatori abilitati al servizio"}
    assert all("Mensa" in target for target in grid["frame"]["target"])
    assert [d.label for d in at.get("download_button")] == ["Esporta Excel"]


def test_a_bad_day_is_refused_in_italian(admin: Actor, grid: dict[str, Any]) -> None:
    at = app_as(admin, PAGE)
    at.text_input(key="af_since").input("31/02/2026")
    at.button(key="FormSubmitter:audit_filters-Elenca").click().run()
    assert at.error[0].value.startswith("La data «Dal» «31/02/2026» non è valida")


def test_a_double_click_shows_the_entry_whole(admin: Actor, grid: dict[str, Any]) -> None:
    grid["event"] = GridEvent(opened_id=1)
    at = app_as(admin, PAGE)
    assert not at.exception
    facts = at.table[0].value
    assert facts.loc["Operatore", "Valore"] == "appio-cli"
    assert facts.loc["Codice azione", "Valore"] == "operator.create"


def test_the_frame_records_logins_and_logouts(
    services: dict[str, int], sessions: sessionmaker[Session], log: Log
) -> None:
    at = app_as(None)
    at.text_input[0].input("mrossi")
    at.text_input[1].input("sbagliata")
    at.button[0].click().run()
    at.text_input[1].input("demo-operatore-2026")
    at.button[0].click().run()
    assert at.session_state["actor"].username == "mrossi"
    [leave] = [b for b in at.sidebar.button if b.label == "Esci"]
    leave.click().run()
    assert "actor" not in at.session_state
    entries = [e for e in log() if e.action in ("login", "logout")]
    assert [(e.operator, e.action, e.outcome, e.detail) for e in entries] == [
        ("mrossi", "login", "rifiutato", "Password errata."),
        ("mrossi", "login", "riuscito", ""),
        ("mrossi", "logout", "riuscito", ""),
    ]
    assert only(entries, "logout")[0].target == "operatore «mrossi»"


@pytest.mark.parametrize(
    ("address", "forwarded", "origin"),
    [
        ("192.0.2.10", None, "192.0.2.10"),  # straight from the browser
        # Behind nginx on this machine: the address nginx saw, not what the browser claims.
        (None, "10.9.9.9, 203.0.113.5", "203.0.113.5"),
        (None, "not-an-address", None),
        (None, None, None),  # this machine itself
    ],
)
def test_the_origin_of_a_browser_is_its_address(
    monkeypatch: pytest.MonkeyPatch, address: str | None, forwarded: str | None, origin: str | None
) -> None:
    headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
    context = SimpleNamespace(ip_address=address, headers=headers)
    monkeypatch.setattr(auth, "st", SimpleNamespace(context=context))
    assert auth.client_origin() == origin
