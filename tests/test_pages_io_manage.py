"""AppTest: the manage key and «Rigenera chiavi» on Servizi, the «Importa da IO» page."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.io_import import ACCOUNT_NOTE
from appio_core.accounts.manage_key import NO_MANAGE_KEY, set_manage_key
from appio_core.accounts.operators import create_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.service_keys import open_keys
from appio_core.accounts.services import ServiceInput, create_service, enable_operator
from appio_core.domain import Role
from appio_core.io import http
from appio_core.io.models import ApiKeys
from appio_core.io.simulator import SimulatorApp, create_app, demo_config
from appio_core.io.simulator.demo import DEMO_IO_ONLY_SERVICES, DEMO_MANAGE_KEY, DEMO_SERVICES
from appio_core.storage.models import Service
from appio_ui import grid

from .apptest import app_as

TRIBUTI = DEMO_SERVICES[0]
POLIZIA = DEMO_IO_ONLY_SERVICES[0]


@pytest.fixture
def simulator(app_env: str, monkeypatch: pytest.MonkeyPatch) -> SimulatorApp:
    """The app's in-process simulator, this test's own (its keys get regenerated)."""
    app = create_app(demo_config(rate_limit=False, processing_delay=0.0))
    monkeypatch.setattr(http, "_simulator", app)
    return app


@pytest.fixture
def people(
    simulator: SimulatorApp, sessions: sessionmaker[Session], keybox: KeyBox
) -> dict[str, Actor]:
    system = Actor.system()
    with sessions.begin() as session:
        created = {
            "admin": create_operator(session, system, "capo", "password-123", Role.ADMIN),
            "operator": create_operator(session, system, "mrossi", "password-123", Role.OPERATOR),
        }
        data = ServiceInput(
            TRIBUTI.name, TRIBUTI.io_service_id, TRIBUTI.primary_key, TRIBUTI.secondary_key
        )
        create_service(session, system, data, keybox)
        enable_operator(session, system, TRIBUTI.name, "mrossi")
        return {name: Actor.of(op) for name, op in created.items()}


@pytest.fixture
def with_manage_key(
    people: dict[str, Actor], sessions: sessionmaker[Session], keybox: KeyBox
) -> None:
    with sessions.begin() as session:
        set_manage_key(session, Actor.system(), DEMO_MANAGE_KEY, keybox)


@pytest.fixture
def tributi_chosen(
    people: dict[str, Actor], sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> int:
    """AppTest cannot click in AgGrid: the grid answers as if Tributi had been chosen."""
    with sessions() as session:
        service_id = session.scalar(select(Service.id).where(Service.name == TRIBUTI.name))
    assert service_id is not None
    monkeypatch.setattr(grid, "selectable_grid", lambda *a, **k: service_id)
    return service_id


def test_servizi_says_how_to_set_a_manage_key_when_none_is_set(people: dict[str, Actor]) -> None:
    at = app_as(people["admin"], "pages/servizi.py")
    assert [e.label for e in at.expander] == ["Nuovo servizio", "Chiave di gestione IO"]
    assert at.info[-1].value.startswith(NO_MANAGE_KEY + " Senza la chiave di gestione tutto")


def test_servizi_saves_the_manage_key_and_shows_it_masked(
    people: dict[str, Actor], sessions: sessionmaker[Session], keybox: KeyBox
) -> None:
    at = app_as(people["admin"], "pages/servizi.py")
    [field] = [t for t in at.text_input if t.label == "Chiave di gestione (manage)"]
    field.input("corta").run()
    at.button(key="FormSubmitter:manage_key_0-Salva la chiave di gestione").click().run()
    assert at.error[0].value.startswith("Chiave di gestione non valida: copiala per intero")
    [field] = [t for t in at.text_input if t.label == "Chiave di gestione (manage)"]
    field.input(DEMO_MANAGE_KEY)
    at.button(key="FormSubmitter:manage_key_0-Salva la chiave di gestione").click().run()
    assert at.success[0].value == "Chiave di gestione salvata (••••0001)."
    shown = [m.value for m in at.markdown if m.value.startswith("Chiave dell'ente")]
    assert shown[0].startswith("Chiave dell'ente: **••••0001**, impostata da capo il ")
    assert DEMO_MANAGE_KEY not in str([m.value for m in at.markdown])


def test_rigenera_chiavi_without_a_manage_key_says_what_is_needed(
    people: dict[str, Actor], tributi_chosen: int
) -> None:
    at = app_as(people["admin"], "pages/servizi.py")
    assert "Rigenera chiavi di «Tributi - TARI»" in [e.label for e in at.expander]
    assert at.info[0].value.startswith("Per rigenerare le chiavi da qui serve la chiave di")
    assert not [b for b in at.button if b.label == "Rigenera chiavi"]


def test_rigenera_chiavi_regenerates_both_keys_and_says_each_step(
    people: dict[str, Actor], with_manage_key: None, tributi_chosen: int,
    simulator: SimulatorApp, sessions: sessionmaker[Session], keybox: KeyBox,
) -> None:  # fmt: skip
    at = app_as(people["admin"], "pages/servizi.py")
    at.button(key=f"regenerate_{tributi_chosen}").click().run()
    assert not at.exception
    message = at.success[0].value
    assert message.startswith("Chiavi del servizio «Tributi - TARI» rigenerate.  \nPasso 1 di 4")
    assert message.endswith("Passo 4 di 4: l'app usa di nuovo per prima la chiave primaria,"
                            " quella nuova.")  # fmt: skip
    now = simulator.gateway.keys_of(TRIBUTI.io_service_id)
    with sessions() as session:
        service = session.get(Service, tributi_chosen)
        assert service is not None
        assert open_keys(service, keybox) == ApiKeys(now["primary"], now["secondary"])
    assert now["primary"] != TRIBUTI.primary_key


def test_a_refused_regeneration_is_said_in_italian(
    people: dict[str, Actor], tributi_chosen: int, sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:  # fmt: skip
    with sessions.begin() as session:
        set_manage_key(session, Actor.system(), "not-the-manage-key", keybox)
    at = app_as(people["admin"], "pages/servizi.py")
    at.button(key=f"regenerate_{tributi_chosen}").click().run()
    assert at.error[0].value.startswith("La chiave di gestione (manage) è stata rifiutata da IO")


def test_an_operator_sees_neither_the_manage_key_nor_rigenera_chiavi(
    people: dict[str, Actor], with_manage_key: None, tributi_chosen: int
) -> None:
    at = app_as(people["operator"], "pages/servizi.py")
    assert [e.label for e in at.expander] == []
    assert not [b for b in at.button if b.label == "Rigenera chiavi"]


def test_importa_da_io_without_a_manage_key_says_how_to_set_one(people: dict[str, Actor]) -> None:
    at = app_as(people["admin"], "pages/importa_io.py")
    assert at.title[0].value == "Importa da IO"
    assert at.info[0].value.startswith("Per leggere da IO i servizi dell'ente serve la sua")


def test_importa_da_io_lists_the_ente_s_services_and_imports_the_chosen_ones(
    people: dict[str, Actor], with_manage_key: None, sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:  # fmt: skip
    at = app_as(people["admin"], "pages/importa_io.py")
    listed = at.dataframe[0].value
    assert list(listed["Servizio"]) == [s.name for s in (*DEMO_SERVICES, *DEMO_IO_ONLY_SERVICES)]
    assert list(listed["In IO Flussi"]) == ["sì, «Tributi - TARI»", "no", "no", "no", "no"]
    assert list(listed["Importo massimo"])[:2] == ["€ 10.000,00", "€ 500,00"]
    [chooser] = at.multiselect
    assert TRIBUTI.io_service_id not in chooser.options
    assert at.caption[-1].value == ACCOUNT_NOTE
    chooser.select(f"{POLIZIA.name} ({POLIZIA.io_service_id})")
    at.button(key="FormSubmitter:import_from_io-Importa").click().run()
    assert not at.exception
    assert at.success[0].value == f"Aggiunti 1: «{POLIZIA.name}».  \n{ACCOUNT_NOTE}"
    assert list(at.dataframe[0].value["In IO Flussi"])[3] == f"sì, «{POLIZIA.name}»"
    with sessions() as session:
        polizia = session.scalar(select(Service).where(Service.name == POLIZIA.name))
        assert polizia is not None
        assert open_keys(polizia, keybox) == ApiKeys(POLIZIA.primary_key, POLIZIA.secondary_key)


def test_the_import_page_is_in_the_menu_of_administrators_only(
    people: dict[str, Actor],
) -> None:
    from appio_ui.navigation import PAGES

    [spec] = [p for p in PAGES if p.script == "pages/importa_io.py"]
    assert (spec.allowed(people["admin"]), spec.allowed(people["operator"])) == (True, False)
