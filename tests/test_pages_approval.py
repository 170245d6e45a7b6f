"""AppTest tests of «Da approvare», of a waiting flow's page and of the approval policy on
«Servizi»."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.operators import create_operator, get_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import enable_operator, set_approval_policy
from appio_core.demo.accounts import seed_demo
from appio_core.domain import ApprovalPolicy, FlowState, Role
from appio_core.flows import actions, importing
from appio_core.storage.models import Flow, Service

from .apptest import app_as
from .flows.conftest import TEXT, fiscal_codes, recipient_csv

TARI = "Tributi - TARI"
CSV = recipient_csv(fiscal_codes(5, seed=31))


@pytest.fixture
def setup(app_env: str, sessions: sessionmaker[Session], keybox: KeyBox) -> dict[str, object]:
    """mrossi imported and sent a flow on TARI, whose policy is «sempre»; gverdi is TARI's
    second operator."""
    system = Actor.system()
    with sessions.begin() as session:
        seed_demo(session, keybox)
        create_operator(session, system, "gverdi", "seconda-coppia-di-occhi", Role.OPERATOR)
        enable_operator(session, system, TARI, "gverdi")
        service_id = session.query(Service).filter_by(name=TARI).one().id
        set_approval_policy(session, system, service_id, ApprovalPolicy.ALWAYS)
        author = Actor.of(get_operator(session, "mrossi"))
        flow = importing.import_flow(
            session,
            author,
            service_id=service_id,
            name="TARI acconto",
            natura="Comunicazione",
            source=CSV,
            filename="tari.csv",
            templates=importing.Templates("Avviso per {{nome}}", TEXT),
        )
        actions.activate(session, author, flow.id)
        actions.send(session, author, flow.id)
        return {
            "flow_id": flow.id,
            "author": author,
            "second": Actor.of(get_operator(session, "gverdi")),
            "admin": Actor.of(get_operator(session, "admin")),
        }


def _state(sessions: sessionmaker[Session], flow_id: int) -> Flow:
    with sessions() as session:
        flow = session.get(Flow, flow_id)
        assert flow is not None
        session.expunge(flow)
        return flow


def test_the_second_operator_sees_everything_needed_to_judge(setup: dict[str, object]) -> None:
    at = app_as(setup["second"], "pages/da_approvare.py")  # type: ignore[arg-type]
    assert at.title[0].value == "Da approvare"
    assert at.caption[0].value.startswith("1 flusso attende approvazione; puoi deciderne 1.")
    [chosen] = at.selectbox
    assert chosen.label == "Flusso da esaminare" and chosen.value == setup["flow_id"]
    assert at.subheader[0].value == f"Flusso n. {setup['flow_id']} – TARI acconto"
    assert "Approvazione chiesta da **mrossi**" in at.caption[1].value
    checksum = hashlib.sha256(CSV).hexdigest()
    assert any(f"SHA-256 `{checksum}`" in m.value for m in at.markdown)
    assert any("tari" in m.value for m in at.markdown)
    assert at.success[0].value == "File valido. 5 righe, tutte corrette."
    assert [m.value for m in at.metric][:2] == ["5", "5"]
    [row] = at.number_input
    row.set_value(4).run()
    previews = [h.proto.body for h in at.get("html")]
    assert any("Avviso per Cittadino 2" in body for body in previews)
    assert at.button(key="decide_approve") and at.button(key="decide_reject")


def test_respingi_without_a_note_is_refused_and_with_one_the_author_reads_it(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    at = app_as(setup["second"], "pages/da_approvare.py")  # type: ignore[arg-type]
    at.button(key="decide_reject").click().run()
    assert at.error[0].value.startswith("Scrivi una nota per l'autore")
    assert _state(sessions, flow_id).state == FlowState.AWAITING_APPROVAL
    at.text_area(key=f"approval_note_{flow_id}").input("Manca l'importo.")
    at.button(key="decide_reject").click().run()
    assert at.success[0].value == (
        "Flusso respinto: torna «Inattivo» e l'autore legge la tua nota sul flusso."
    )
    assert at.info[0].value == "Nessun flusso attende approvazione."
    page = app_as(setup["author"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    assert "Stato **Inattivo**" in page.caption[0].value
    [note] = [w.value for w in page.warning if "Respinto da gverdi" in w.value]
    assert note.endswith(": Manca l'importo.")


def test_approva_starts_the_send(setup: dict[str, object], sessions: sessionmaker[Session]) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    at = app_as(setup["second"], "pages/da_approvare.py")  # type: ignore[arg-type]
    at.button(key="decide_approve").click().run()
    assert at.success[0].value == (
        "Flusso approvato: l'invio è avviato (all'ora programmata, se indicata)."
    )
    flow = _state(sessions, flow_id)
    assert (flow.state, flow.approved_by) == (FlowState.SENDING, "gverdi")
    page = app_as(setup["author"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    assert any(c.value.startswith("Approvato da gverdi il ") for c in page.caption)


def test_the_author_reads_where_his_flow_waits_and_cannot_decide(
    setup: dict[str, object],
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    page = app_as(setup["author"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    assert "Stato **In attesa di approvazione**" in page.caption[0].value
    assert page.info[0].value.startswith("In attesa di approvazione: chiesta da mrossi il ")
    bar = {b.key for b in page.button if b.key and b.key.startswith("action_")}
    assert bar == {"action_Riporta in preparazione", "action_Annulla flusso"}
    at = app_as(setup["author"], "pages/da_approvare.py")  # type: ignore[arg-type]
    assert at.caption[0].value.startswith("1 flusso attende approvazione; puoi deciderne 0.")
    assert at.info[0].value.startswith("Non puoi approvare un flusso preparato o inviato da te")
    assert not [b for b in at.button if b.key and b.key.startswith("decide_")]


def test_an_administrator_of_a_service_with_two_operators_is_told_why_not(
    setup: dict[str, object],
) -> None:
    at = app_as(setup["admin"], "pages/da_approvare.py")  # type: ignore[arg-type]
    assert at.info[0].value == (
        "Il servizio ha 2 operatori (gverdi, mrossi): deve approvare uno di loro, non un"
        " amministratore."
    )


def test_a_change_while_it_waits_takes_the_request_away_and_says_so(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    at = app_as(setup["author"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    assert at.warning[0].value.startswith("Il flusso attende l'approvazione di un altro operatore")
    [name] = [t for t in at.text_input if t.label == "Nome del flusso"]
    name.set_value("TARI acconto 2027")
    at.button(key=f"FormSubmitter:edit_flow_{flow_id}-Salva le modifiche").click().run()
    assert at.success[0].value == (
        "Flusso modificato. La richiesta di approvazione è ritirata: il flusso è di nuovo"
        " «Inattivo»."
    )
    assert _state(sessions, flow_id).state == FlowState.INACTIVE


def test_servizi_lets_an_administrator_require_approval_above_a_number(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    at = app_as(setup["admin"], "pages/servizi.py")  # type: ignore[arg-type]
    form = {t.label: t for t in at.text_input}
    form["Nome del servizio"].input("Polizia locale")
    form["Identificativo servizio IO"].input("01JPOLIZIA")
    form["Chiave primaria"].input("polizia-primary-0001")
    [policy] = [s for s in at.selectbox if s.label == "Approvazione dei flussi"]
    policy.set_value(ApprovalPolicy.ABOVE)
    [number] = [n for n in at.number_input if n.label == "Numero di destinatari"]
    number.set_value(250)
    at.button(key="FormSubmitter:new_service_0-Aggiungi servizio").click().run()
    assert at.success[0].value == "Servizio «Polizia locale» aggiunto."
    with sessions() as session:
        service = session.query(Service).filter_by(name="Polizia locale").one()
        assert (service.approval_policy, service.approval_threshold) == (ApprovalPolicy.ABOVE, 250)
