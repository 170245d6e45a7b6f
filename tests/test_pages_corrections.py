"""AppTest of «Rettifica»: on a sent flow's page (a new flow, Inattivo, opened at once), on
an accepted single notification's page (sent at once), the links both ways, and the
archives' «Solo rettifiche»."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from appio_core.accounts.operators import create_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import enable_operator
from appio_core.demo.accounts import DEMO_SERVICES, seed_demo
from appio_core.domain import FlowState, Outcome, Role
from appio_core.flows import importing
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.notifications.single import NewNotification, send_new
from appio_core.storage.models import Flow, IoAccount, Notification, Operator, Service

from .apptest import app_as
from .flows.conftest import TEXT, fiscal_codes, recipient_csv

CORRECTION = (
    "Nel messaggio precedente la scadenza indicata era sbagliata: la seconda rata della TARI"
    " scade il 16 dicembre 2026, non il 16 novembre. Ci scusiamo per l'errore."
)


@pytest.fixture
def setup(app_env: str, sessions: sessionmaker[Session], keybox: KeyBox) -> dict[str, object]:
    """A flow «Inviato» whose five rows IO accepted, and a single notification accepted."""
    admin = Actor.system()
    with sessions.begin() as session:
        seed_demo(session, keybox)
        for account in session.query(IoAccount):
            account.rate_limit_requests = 0
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
        flow.state = FlowState.SENT
        session.execute(
            update(Notification)
            .where(Notification.flow_id == flow.id)
            .values(outcome=Outcome.ACCEPTED)
        )
        operator = Actor.of(session.query(Operator).filter_by(username="mrossi").one())
        flow_id = flow.id
    tari = next(s for s in DEMO_SERVICES if s.name == "Tributi - TARI")
    code = in_process_simulator().population.find(Kind.WITH_IO, tari.io_service_id, 1)[0]
    message = NewNotification(service_id, code, "Promemoria TARI 2026", CORRECTION)
    sent = send_new(sessions, operator, message, keybox, "simulator")
    assert sent.outcome == Outcome.ACCEPTED
    return {
        "flow_id": flow_id,
        "notification_id": sent.id,
        "operator": operator,
        "viewer": Actor.of(viewer),
    }


def _submit(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return button.click().run()


def test_a_sent_flow_s_rettifica_opens_the_new_flow_linked_both_ways(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    original = setup["flow_id"]
    at = app_as(setup["operator"], "pages/flusso.py", original)  # type: ignore[arg-type]
    assert [e.label for e in at.expander if e.label == "Rettifica"] == ["Rettifica"]
    [name] = [t for t in at.text_input if t.label == "Nome del nuovo flusso"]
    assert name.value == "Rettifica: TARI acconto"
    [subject] = [t for t in at.text_input if t.label == "Oggetto (modello)"]
    assert subject.value == "Rettifica: Avviso per {{nome}}"
    [text] = [t for t in at.text_area if t.label.startswith("Testo della rettifica")]
    text.input("Gentile {{nome}}, " + CORRECTION)
    at = _submit(at, "Crea la rettifica")
    assert not at.exception, at.exception
    with sessions() as session:
        made = session.query(Flow).filter(Flow.corrects_flow_id == original).one()
    assert at.title[0].value == f"Flusso n. {made.id} – Rettifica: TARI acconto"
    assert at.success[0].value.startswith(f"Rettifica creata: flusso n. {made.id}, 5 destinatari.")
    assert "Stato **Inattivo**" in at.caption[0].value
    back = app_as(setup["operator"], "pages/flusso.py", made.id)  # type: ignore[arg-type]
    links = [p.label for p in back.get("page_link")]  # type: ignore[attr-defined]
    assert f"Rettifica di n. {original}: apri il flusso originale" in links
    before = app_as(setup["operator"], "pages/flusso.py", original)  # type: ignore[arg-type]
    links = [p.label for p in before.get("page_link")]  # type: ignore[attr-defined]
    assert f"Rettificata da n. {made.id}: apri la rettifica" in links

    listed = app_as(setup["operator"])  # type: ignore[arg-type]
    listed.checkbox(key="ff_corrections").check()
    listed = _submit(listed, "Elenca")
    assert listed.caption[0].value.startswith("1 flusso.")


def test_the_flow_s_form_refuses_a_text_without_what_changed(setup: dict[str, object]) -> None:
    at = app_as(setup["operator"], "pages/flusso.py", setup["flow_id"])  # type: ignore[arg-type]
    at = _submit(at, "Crea la rettifica")
    assert at.error[0].value == "Scrivi il testo della rettifica: che cosa è cambiato."


def test_a_single_notification_s_rettifica_is_sent_at_once_and_linked(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    original = setup["notification_id"]
    at = app_as(setup["operator"], "pages/notifica.py", notification_id=original)  # type: ignore[arg-type]
    assert at.text_input(key=f"correct_{original}_subject").value == (
        "Rettifica: Promemoria TARI 2026"
    )
    at.text_area(key=f"correct_{original}_text").input(CORRECTION)
    at = _submit(at, "Invia la rettifica")
    assert not at.exception, at.exception
    with sessions() as session:
        made = session.query(Notification).filter_by(corrects_notification_id=original).one()
    assert [m.value for m in at.markdown if m.value == "**Rettifica inviata**"]
    assert at.success[0].value.startswith(f"Notifica n. {made.id}: **accettato**.")
    links = [p.label for p in at.get("page_link")]  # type: ignore[attr-defined]
    assert f"Rettificata da n. {made.id}: apri la rettifica" in links
    other = app_as(setup["operator"], "pages/notifica.py", notification_id=made.id)  # type: ignore[arg-type]
    links = [p.label for p in other.get("page_link")]  # type: ignore[attr-defined]
    assert f"Rettifica di n. {original}: apri la notifica originale" in links

    archive = app_as(setup["operator"], "pages/notifiche.py")  # type: ignore[arg-type]
    archive.checkbox(key="nf_corrections").check()
    archive = _submit(archive, "Elenca")
    assert archive.caption[0].value.startswith("1 notifica.")


def test_a_viewer_sees_the_links_but_no_rettifica(setup: dict[str, object]) -> None:
    at = app_as(setup["viewer"], "pages/flusso.py", setup["flow_id"])  # type: ignore[arg-type]
    assert not [e for e in at.expander if e.label == "Rettifica"]
    at = app_as(setup["viewer"], "pages/notifica.py", notification_id=setup["notification_id"])  # type: ignore[arg-type]
    assert not [e for e in at.expander if e.label == "Rettifica"]
