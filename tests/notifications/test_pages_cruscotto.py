"""AppTest of «Cruscotto»: every operator has it, sees his services' figures as numbers and
shares in Italian, chooses a period and a grouping; a wrong date is said in Italian."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from appio_core.accounts.operators import get_operator
from appio_core.accounts.permissions import Actor

from ..apptest import app_as
from .conftest import MENSA, TARI
from .test_stats import world  # noqa: F401  (the fixture: November 2026's messages)

PAGE = "pages/cruscotto.py"


def _actor(sessions: sessionmaker[Session], username: str) -> Actor:
    with sessions() as session:
        return Actor.of(get_operator(session, username))


def _show(at: AppTest, start: str, end: str, by: str = "Servizio", service: str = "") -> AppTest:
    at.text_input(key="cr_from").input(start)
    at.text_input(key="cr_to").input(end)
    at.selectbox(key="cr_by").select(by)
    if service:
        at.selectbox(key="cr_service").select(service)
    at.button[0].click()  # «Mostra»: the form's only button
    at.run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.usefixtures("world")
def test_the_figures_of_a_period_with_shares_groups_and_charts(
    sessions: sessionmaker[Session],
) -> None:
    at = app_as(_actor(sessions, "admin"), PAGE)
    assert at.title[0].value == "Cruscotto"
    at = _show(at, "01/11/2026", "30/11/2026")
    assert "Periodo novembre 2026; tutti i servizi; per servizio." in [c.value for c in at.caption]
    metrics = _metrics(at)
    assert metrics["Messaggi inviati"] == "13"
    assert metrics["Accettati da IO"] == "7 · 53,8%"
    assert metrics["Cittadini non su IO"] == "2 · 15,4%"
    assert metrics["Letti (messaggi avanzati)"] == "2 · 50,0%"
    assert metrics["Pagati (avvisi avanzati)"] == "1 · 25,0%"
    assert metrics["Raggiungibili a novembre 2026"] == "71,4% · 5 su 7"
    table = at.dataframe[0].value
    assert list(table["Servizio"]) == [MENSA.name, TARI.name, "Totale"]
    assert list(table["Accettati da IO %"]) == ["33,3%", "60,0%", "53,8%"]
    trend, reachable = (json.loads(c.proto.spec) for c in at.get("vega_lite_chart"))
    assert trend["title"] == "Messaggi inviati, mese per mese"
    assert reachable["title"] == "Cittadini raggiungibili su IO, mese per mese"
    for spec in (trend, reachable):  # Italian numbers and months
        assert spec["config"]["locale"]["number"]["decimal"] == ","
        assert spec["config"]["locale"]["time"]["months"][10] == "novembre"


@pytest.mark.usefixtures("world")
def test_a_viewer_sees_his_service_only_grouped_by_flow(sessions: sessionmaker[Session]) -> None:
    at = app_as(_actor(sessions, "lbianchi"), PAGE)
    assert at.selectbox(key="cr_service").options == ["Tutti i servizi", TARI.name]
    at = _show(at, "01/11/2026", "30/11/2026", by="Flusso")
    table = at.dataframe[0].value
    assert [label.split(" (n.")[0] for label in table["Flusso"]] == [
        "Messaggi singoli («Nuovo»)", "TARI 2026", "Totale",
    ]  # fmt: skip
    assert _metrics(at)["Messaggi inviati"] == "10"


@pytest.mark.usefixtures("world")
def test_a_wrong_date_is_said_in_italian_and_nothing_else_changes(
    sessions: sessionmaker[Session],
) -> None:
    at = app_as(_actor(sessions, "mrossi"), PAGE)
    at = _show(at, "31/11/2026", "")
    assert at.error[0].value.startswith("La data iniziale «31/11/2026» non è valida")
    at = _show(at, "30/11/2026", "01/11/2026")
    assert "è dopo la data finale" in at.error[0].value


def test_an_empty_period_says_so(services: dict[str, int], sessions: sessionmaker[Session]) -> None:
    at = app_as(_actor(sessions, "mrossi"), PAGE)
    assert at.info[0].value == "Nessun messaggio concluso nel periodo scelto."
    assert _metrics(at)["Messaggi inviati"] == "0"
