"""AppTest tests of the Flussi, Nuovo flusso and Dettaglio flusso pages."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.operators import create_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import enable_operator
from appio_core.demo.accounts import seed_demo
from appio_core.domain import Role
from appio_core.flows import importing
from appio_core.storage.models import Operator, Service

from .apptest import app_as
from .flows.conftest import TEXT, fiscal_codes, recipient_csv


@pytest.fixture
def setup(app_env: str, sessions: sessionmaker[Session], keybox: KeyBox) -> dict[str, object]:
    admin = Actor.system()
    with sessions.begin() as session:
        seed_demo(session, keybox)
        viewer = create_operator(session, admin, "lettore", "password-123", Role.VIEWER)
        enable_operator(session, admin, "Tributi - TARI", "lettore")
        service_id = session.query(Service).filter_by(name="Tributi - TARI").one().id
        flow = importing.import_flow(
            session,
            admin,
            service_id=service_id,
            name="TARI acconto",
            natura="Comunicazione",
            source=recipient_csv(fiscal_codes(5)),
            filename="tari.csv",
            templates=importing.Templates("Avviso per {{nome}}", TEXT),
        )
        operator = session.query(Operator).filter_by(username="mrossi").one()
        return {"flow_id": flow.id, "operator": Actor.of(operator), "viewer": Actor.of(viewer)}


def test_flussi_is_the_home_page_and_lists_the_archive(setup: dict[str, object]) -> None:
    at = app_as(setup["operator"])  # type: ignore[arg-type]
    assert at.title[0].value == "Flussi"
    assert at.caption[0].value.startswith("1 flusso.")  # not «1 flussi»


def test_flussi_filters_say_when_nothing_matches(setup: dict[str, object]) -> None:
    at = app_as(setup["operator"])  # type: ignore[arg-type]
    [state] = [s for s in at.selectbox if s.label == "Stato"]
    state.select("Annullato")
    at.button[0].click().run()
    assert at.caption[0].value.startswith("Nessun flusso corrisponde ai filtri.")


def test_the_detail_shows_the_state_and_activates_the_flow(setup: dict[str, object]) -> None:
    at = app_as(setup["operator"], "pages/flusso.py", setup["flow_id"])  # type: ignore[arg-type]
    assert at.title[0].value == f"Flusso n. {setup['flow_id']} – TARI acconto"
    assert "Stato **Inattivo**" in at.caption[0].value
    at.button(key="action_Attiva").click().run()
    assert at.success[0].value == "Flusso attivato: è pronto per l'invio."
    assert "Stato **Attivo**" in at.caption[0].value


def test_a_viewer_sees_the_detail_without_action_buttons(setup: dict[str, object]) -> None:
    at = app_as(setup["viewer"], "pages/flusso.py", setup["flow_id"])  # type: ignore[arg-type]
    assert at.title[0].value.startswith("Flusso n.")
    assert not [b for b in at.button if b.key and b.key.startswith("action_")]


def test_a_viewer_has_no_nuovo_flusso_page(setup: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as(setup["viewer"], "pages/nuovo_flusso.py")  # type: ignore[arg-type]


def test_nuovo_flusso_offers_the_operator_their_services(setup: dict[str, object]) -> None:
    at = app_as(setup["operator"], "pages/nuovo_flusso.py")  # type: ignore[arg-type]
    assert at.title[0].value == "Nuovo flusso"
    [service] = [s for s in at.selectbox if s.label == "Servizio"]
    assert service.options == ["Servizi scolastici - Mensa", "Tributi - TARI"]


def test_nuovo_flusso_asks_for_a_file(setup: dict[str, object]) -> None:
    at = app_as(setup["operator"], "pages/nuovo_flusso.py")  # type: ignore[arg-type]
    at.button(key="FormSubmitter:new_flow-Crea flusso").click().run()
    assert at.error[0].value == "Scegli il file dei destinatari."


def test_the_detail_without_a_chosen_flow_points_to_the_archive(
    setup: dict[str, object],
) -> None:
    at = app_as(setup["operator"], "pages/flusso.py")  # type: ignore[arg-type]
    assert at.info[0].value == "Scegli un flusso dalla pagina Flussi."
