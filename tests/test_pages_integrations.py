"""AppTest tests of «Integrazioni» (administrators only): the keys of the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from appio_core.accounts.operators import create_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import ServiceInput, create_service
from appio_core.domain import Role
from appio_core.integrations.keys import (
    CreatedIntegration,
    NewIntegration,
    Unauthorized,
    authenticate_key,
    create_integration,
    list_integrations,
    webhook_secret,
)
from appio_core.integrations.scopes import Scope
from appio_core.italian import end_of_local_day, local_today
from appio_core.storage.models import utcnow
from appio_core.webhooks.models import DeliveryState, EventType, WebhookEvent
from appio_ui import grid

from .apptest import app_as

PAGE = "pages/integrazioni.py"
SUBMIT = "FormSubmitter:new_integration_0-Crea integrazione"
REQUEST = "GET /api/v1/services"


@pytest.fixture
def people(app_env: str, sessions: sessionmaker[Session], keybox: KeyBox) -> dict[str, Actor]:
    admin = Actor.system()
    with sessions.begin() as session:
        for name, io_id in (("Tributi", "01JTRIB"), ("Mensa", "01JMENSA")):
            create_service(session, admin, ServiceInput(name, io_id, "primary-key-1234"), keybox)
        created = {
            "admin": create_operator(session, admin, "capo", "password-123", Role.ADMIN, "Capo"),
            "operator": create_operator(
                session, admin, "mrossi", "password-123", Role.OPERATOR, "Mario Rossi"
            ),
        }
        return {name: Actor.of(op) for name, op in created.items()}


@pytest.fixture
def existing(
    people: dict[str, Actor], sessions: sessionmaker[Session], keybox: KeyBox
) -> CreatedIntegration:
    with sessions.begin() as session:
        [service_id] = [s.id for s in _services(session) if s.name == "Tributi"]
        data = NewIntegration("Protocollo", (service_id,), frozenset({Scope.READ_FLOWS}))
        return create_integration(session, Actor.system(), data, keybox)


def _services(session: Session) -> list[object]:
    from appio_core.accounts.services import list_services

    return list(list_services(session, Actor.system()))


def _fill(at: AppTest, name: str, services: list[str], url: str = "") -> None:
    form = {t.label: t for t in at.text_input}
    form["Nome"].input(name)
    if url:
        form["Indirizzo del webhook (facoltativo)"].input(url)
    at.multiselect[0].set_value(services)


def test_the_page_is_in_the_navigation_of_administrators_only(people: dict[str, Actor]) -> None:
    at = app_as(people["admin"], PAGE)
    assert at.title[0].value == "Integrazioni"
    assert at.info[0].value.startswith("Nessuna integrazione")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as(people["operator"], PAGE)


def test_a_new_integration_shows_its_key_once_and_the_key_works(
    people: dict[str, Actor], sessions: sessionmaker[Session], keybox: KeyBox
) -> None:
    at = app_as(people["admin"], PAGE)
    _fill(at, "Tributi", ["Tributi", "Mensa"], url="https://tributi.comune.it/io")
    at.button(key=SUBMIT).click().run()
    assert not at.exception
    assert at.success[0].value == "Integrazione «Tributi» creata."
    assert "Non verrà mostrata di nuovo" in at.warning[0].value
    key, secret = (c.value for c in at.code)
    with sessions.begin() as session:
        caller = authenticate_key(session, key, REQUEST)
        assert caller.actor.username and caller.scopes == frozenset(Scope)
        [view] = list_integrations(session, Actor.system())
        assert view.services == ("Mensa", "Tributi")
        assert webhook_secret(session, view.id, keybox) == secret
    assert secret.startswith("whsec_")
    # Saved: the form starts empty again, the key stays until the administrator says so.
    assert all(not t.value for t in at.text_input)
    # A refusal's rerun (the next, empty form) keeps it on screen.
    at.button(key=SUBMIT.replace("_0-", "_1-")).click().run()
    assert [c.value for c in at.code] == [key, secret]
    [done] = [b for b in at.button if b.label == "Ho conservato la chiave"]
    done.click().run()
    assert not at.code and not at.exception


def test_the_table_shows_the_integrations_in_italian(
    existing: CreatedIntegration, people: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[pd.DataFrame] = []
    monkeypatch.setattr(grid, "selectable_grid", lambda frame, *a, **k: shown.append(frame))
    app_as(people["admin"], PAGE)
    [row] = shown[0].to_dict("records")
    assert row["name"] == "Protocollo" and row["services"] == "Tributi"
    assert row["scopes"] == "Lettura flussi"
    assert row["state"] == "attiva" and row["last_used"] == "mai" and row["expires"] == "—"
    assert row["key_hint"] == existing.key[:10] + "…"
    assert existing.key not in str(row)


def test_an_empty_choice_of_services_is_refused_in_italian_and_the_form_kept(
    people: dict[str, Actor], sessions: sessionmaker[Session]
) -> None:
    at = app_as(people["admin"], PAGE)
    _fill(at, "Anagrafe", [])
    at.button(key=SUBMIT).click().run()
    assert at.error[0].value == "Indica almeno un servizio che l'integrazione può usare."
    assert not at.code
    assert {t.label: t.value for t in at.text_input}["Nome"] == "Anagrafe"
    with sessions() as session:
        assert list_integrations(session, Actor.system()) == []


def test_the_expiry_is_the_end_of_the_day_chosen(
    people: dict[str, Actor], sessions: sessionmaker[Session]
) -> None:
    at = app_as(people["admin"], PAGE)
    _fill(at, "Mensa", ["Mensa"])
    day: date = local_today() + timedelta(days=30)
    at.date_input[0].set_value(day)
    at.button(key=SUBMIT).click().run()
    assert at.success[0].value == "Integrazione «Mensa» creata."
    with sessions() as session:
        [view] = list_integrations(session, Actor.system())
    assert view.expires_at == end_of_local_day(day)


@pytest.fixture
def chosen_in_grid(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """AppTest cannot click in AgGrid: the grid answers as if the row had been chosen."""

    def choose(row_id: int) -> None:
        monkeypatch.setattr(grid, "selectable_grid", lambda *a, **k: row_id)

    return choose


def test_revoca_after_its_confirmation_stops_the_key(
    existing: CreatedIntegration,
    people: dict[str, Actor],
    sessions: sessionmaker[Session],
    chosen_in_grid: Callable[[int], None],
) -> None:
    chosen_in_grid(existing.id)
    at = app_as(people["admin"], PAGE)
    at.button(key=f"revoke_{existing.id}").click().run()
    assert at.success[0].value == (
        "Integrazione «Protocollo» revocata: la sua chiave non è più valida."
    )
    with sessions.begin() as session, pytest.raises(Unauthorized, match="Chiave revocata"):
        authenticate_key(session, existing.key, REQUEST)
    # Revoked: no second «Revoca», the state says so.
    assert not [b for b in at.button if b.key == f"revoke_{existing.id}"]
    assert any("è revocata" in c.value for c in at.caption)


def _failed_event(sessions: sessionmaker[Session], integration_id: int) -> WebhookEvent:
    """An event whose 24 hours of attempts ran out (written as the worker leaves it)."""
    with sessions.begin() as session:
        event = WebhookEvent(
            integration_id=integration_id,
            event_id="msg_" + "a" * 32,
            type=EventType.ACCEPTED,
            subject_id=42,
            data="{}",
            created_at=utcnow() - timedelta(days=1, minutes=1),
            state=DeliveryState.FAILED,
            attempts=18,
            last_status=500,
            last_error="Il ricevente ha risposto 500.",
            last_attempt_at=utcnow() - timedelta(minutes=1),
        )
        session.add(event)
    return event


def test_the_delivery_log_shows_the_events_and_reinvia_puts_a_failed_one_back(
    people: dict[str, Actor],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with sessions.begin() as session:
        [service_id] = [s.id for s in _services(session) if s.name == "Tributi"]
        data = NewIntegration(
            "Tributi", (service_id,), frozenset(Scope), "https://tributi.example/hook"
        )
        made = create_integration(session, Actor.system(), data, keybox)
    event = _failed_event(sessions, made.id)
    shown: list[pd.DataFrame] = []

    def grid_answer(frame: pd.DataFrame, key: str, **_: object) -> int:
        shown.append(frame)
        return made.id if key == "integrations_grid" else event.id

    monkeypatch.setattr(grid, "selectable_grid", grid_answer)
    at = app_as(people["admin"], PAGE)
    log = shown[-1]
    assert log.loc[0, "type"] == "Notifica accettata da IO"
    assert log.loc[0, "subject"] == "notifica n. 42"
    assert log.loc[0, "state"] == "fallito"
    assert "Il ricevente ha risposto 500." in log.loc[0, "last"]
    [reinvia] = [b for b in at.button if b.label.startswith("Reinvia")]
    reinvia.click().run()
    assert "Evento rimesso in coda" in at.success[0].value
    with sessions() as session:
        again = session.get_one(WebhookEvent, event.id)
    assert again.state is DeliveryState.PENDING
    assert again.redelivered_by == "capo"


def test_an_integration_without_a_webhook_says_it_has_no_events(
    existing: CreatedIntegration,
    people: dict[str, Actor],
    chosen_in_grid: Callable[[int], None],
) -> None:
    chosen_in_grid(existing.id)
    at = app_as(people["admin"], PAGE)
    assert any("non ha un indirizzo per i webhook" in c.value for c in at.caption)
