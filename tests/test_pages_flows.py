"""AppTest tests of the Flussi, Nuovo flusso and Dettaglio flusso pages."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from appio_core.accounts.operators import create_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import enable_operator
from appio_core.demo.accounts import seed_demo
from appio_core.domain import FlowState, Outcome, Role
from appio_core.flows import actions, importing, queries
from appio_core.flows.registry import FLOW_ACTIONS
from appio_core.storage.models import Flow, Notification, Operator, Service

from .apptest import APP, app_as, signed_in_token
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
    [name] = [t for t in at.text_input if t.label == "Nome del flusso"]
    name.input("Mensa gennaio")
    at.button(key="nf_create").click().run()
    assert at.error[0].value == "Scegli il file dei destinatari."
    # What was typed is still there after the refusal.
    assert [t.value for t in at.text_input if t.label == "Nome del flusso"] == ["Mensa gennaio"]


def test_the_day_and_hour_of_a_scheduled_send_appear_only_when_it_is_scheduled(
    setup: dict[str, object],
) -> None:
    at = app_as(setup["operator"], "pages/nuovo_flusso.py")  # type: ignore[arg-type]
    assert not at.date_input and not at.time_input
    at.checkbox(key="nf_schedule").check().run()
    assert [d.label for d in at.date_input] == ["Giorno di invio"]
    assert [t.label for t in at.time_input] == ["Ora di invio"]
    at.checkbox(key="nf_schedule").uncheck().run()
    assert not at.date_input and not at.time_input


def test_the_detail_without_a_chosen_flow_points_to_the_archive(
    setup: dict[str, object],
) -> None:
    at = app_as(setup["operator"], "pages/flusso.py")  # type: ignore[arg-type]
    assert at.info[0].value == "Scegli un flusso dalla pagina Flussi."


def _flow_in(sessions: sessionmaker[Session], flow_id: int, state: FlowState) -> None:
    with sessions.begin() as session:
        flow = session.get(Flow, flow_id)
        assert flow is not None
        flow.state = state


def _state(sessions: sessionmaker[Session], flow_id: int) -> FlowState:
    with sessions() as session:
        flow = session.get(Flow, flow_id)
        assert flow is not None
        return FlowState(flow.state)


def test_invia_hands_an_active_flow_to_the_dispatcher(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    _flow_in(sessions, flow_id, FlowState.ACTIVE)
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    at.button(key="action_Invia").click().run()
    assert at.success[0].value == "Invio avviato: i messaggi partono al ritmo consentito da IO."
    assert "Stato **In invio**" in at.caption[0].value
    assert _state(sessions, flow_id) == FlowState.SENDING


def test_invia_asks_to_confirm_a_file_already_sent_today(
    setup: dict[str, object], sessions: sessionmaker[Session], keybox: KeyBox
) -> None:
    first = int(setup["flow_id"])  # type: ignore[call-overload]
    with sessions.begin() as session:
        admin = Actor.system()
        actions.activate(session, admin, first)
        actions.send(session, admin, first)
        twin = importing.import_flow(
            session,
            admin,
            service_id=session.query(Service).filter_by(name="Tributi - TARI").one().id,
            name="TARI di nuovo",
            natura="Comunicazione",
            source=recipient_csv(fiscal_codes(5)),  # the same file
            filename="tari.csv",
            templates=importing.Templates("Avviso per {{nome}}", TEXT),
        )
        actions.activate(session, admin, twin.id)
        second = twin.id
    at = app_as(setup["operator"], "pages/flusso.py", second)  # type: ignore[arg-type]
    at.button(key="action_Invia").click().run()
    assert at.warning[0].value.startswith("Lo stesso file è già stato inviato oggi")
    assert f"flusso n. {first} «TARI acconto»" in at.warning[0].value
    assert _state(sessions, second) == FlowState.ACTIVE
    at.checkbox(key="send_confirmed").check().run()
    at.button(key="action_Invia").click().run()
    assert at.success[0].value.startswith("Invio avviato")
    assert _state(sessions, second) == FlowState.SENDING


def test_sospendi_pauses_a_flow_being_sent(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    _flow_in(sessions, flow_id, FlowState.SENDING)
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    assert [b.label for b in at.button if b.key and b.key.startswith("action_")] == [
        "Sospendi",
        "Conferma",  # «Annulla flusso», inside its confirmation
    ]
    at.button(key="action_Sospendi").click().run()
    assert at.success[0].value == "Invio sospeso."
    assert "Stato **Sospeso**" in at.caption[0].value
    assert at.button(key="action_Riprendi")


def _with_uncertain_row(sessions: sessionmaker[Session], flow_id: int, state: FlowState) -> int:
    with sessions.begin() as session:
        flow = session.get(Flow, flow_id)
        assert flow is not None
        flow.state = state
        rows = session.query(Notification).filter_by(flow_id=flow_id).order_by(Notification.id)
        for row in rows:
            row.outcome = Outcome.ACCEPTED
        row.outcome = Outcome.UNCERTAIN
        return row.id


def _notification_page(setup: dict[str, object], row_id: int) -> AppTest:
    """The recipient's detail, as a double click in the flow's grid opens it."""
    return app_as(setup["operator"], "pages/notifica.py", notification_id=row_id)  # type: ignore[arg-type]


def test_an_uncertain_row_is_sent_again_with_reinvia(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    row_id = _with_uncertain_row(sessions, flow_id, FlowState.INCOMPLETE)
    at = _notification_page(setup, row_id)
    assert any(w.value.startswith("Esito incerto: scegli") for w in at.warning)
    [resend] = [b for b in at.button if b.label == "Reinvia"]
    resend.click().run()
    assert at.success[0].value == "Il destinatario sarà inviato di nuovo con il flusso."
    with sessions() as session:
        assert session.get(Notification, row_id).outcome == Outcome.PENDING  # type: ignore[union-attr]
    assert _state(sessions, flow_id) == FlowState.SENDING


def test_an_uncertain_row_is_marked_as_sent(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    row_id = _with_uncertain_row(sessions, flow_id, FlowState.INCOMPLETE)
    at = _notification_page(setup, row_id)
    [mark] = [b for b in at.button if b.label == "Segna come inviata"]
    mark.click().run()
    assert at.success[0].value == "Notifica segnata come inviata."
    assert _state(sessions, flow_id) == FlowState.SENT  # it was the only open row


def test_reinvia_on_a_cancelled_flow_says_why_it_cannot(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    row_id = _with_uncertain_row(sessions, flow_id, FlowState.CANCELLED)
    at = _notification_page(setup, row_id)
    [resend] = [b for b in at.button if b.label == "Reinvia"]
    resend.click().run()
    assert at.error[0].value == (
        "Il flusso è «Annullato»: «Reinvia» è possibile solo per un flusso «In invio», "
        "«Sospeso» o «Invio incompleto»."
    )
    assert not at.success
    with sessions() as session:
        assert session.get(Notification, row_id).outcome == Outcome.UNCERTAIN  # type: ignore[union-attr]


@pytest.mark.parametrize("state", list(FlowState), ids=[s.name for s in FlowState])
def test_the_flow_page_offers_the_registrys_actions_for_the_state(
    setup: dict[str, object], sessions: sessionmaker[Session], state: FlowState
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    _flow_in(sessions, flow_id, state)
    with sessions() as session:
        view = queries.get_flow(session, Actor.system(), flow_id)
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    shown = {b.key for b in at.button if b.key and b.key.startswith("action_")}
    assert shown == {f"action_{a.label}" for a in FLOW_ACTIONS if a.on_bar(view)}


def _all_rows(sessions: sessionmaker[Session], flow_id: int, outcome: Outcome) -> None:
    with sessions.begin() as session:
        for row in session.query(Notification).filter_by(flow_id=flow_id):
            row.outcome = outcome


def test_a_flow_nobody_could_get_on_io_says_why_with_a_coloured_breakdown(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    _all_rows(sessions, flow_id, Outcome.NOT_ON_IO)
    _flow_in(sessions, flow_id, FlowState.INCOMPLETE)
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    [meaning] = [i.value for i in at.info if i.value.startswith("«Invio incompleto»")]
    assert "Inviato a 0 cittadini su 5: 5 non usano IO" in meaning
    assert "non è un errore dell'invio" in meaning
    assert not at.get("progress")  # no full blue bar for a flow that reached nobody
    [chart] = at.get("vega_lite_chart")
    spec = chart.proto.spec
    assert "#8d8d8d" in spec and "#2e7d32" in spec  # grey for «non usano IO», green reached
    # The key under the bar names each group present, with its count.
    [key] = [h.proto.body for h in at.get("html") if "&#9632;" in h.proto.body]
    assert "Non usano IO 5" in key and "Errori" not in key


def test_a_flow_being_sent_shows_its_pace(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    with sessions.begin() as session:
        rows = session.query(Notification).filter_by(flow_id=flow_id).order_by(Notification.id)
        for row in list(rows)[:3]:
            row.outcome = Outcome.ACCEPTED
    _flow_in(sessions, flow_id, FlowState.SENDING)
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    [pace] = [c.value for c in at.caption if c.value.startswith("Ritmo di invio:")]
    assert "messaggi al minuto" in pace and "rimanent" in pace


def test_modifica_changes_an_inactive_flow_and_is_not_offered_once_active(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    assert [e.label for e in at.expander] == ["Modifica", "Salva come modello"]
    [name] = [t for t in at.text_input if t.label == "Nome del flusso"]
    name.set_value("TARI saldo")
    [subject] = [t for t in at.text_input if t.label == "Oggetto (modello)"]
    subject.set_value("Saldo per {{nome}}")
    at.button(key=f"FormSubmitter:edit_flow_{flow_id}-Salva le modifiche").click().run()
    assert at.success[0].value == "Flusso modificato."
    assert at.title[0].value == f"Flusso n. {flow_id} – TARI saldo"
    with sessions() as session:
        first = session.query(Notification).filter_by(flow_id=flow_id).first()
        assert first is not None and first.subject.startswith("Saldo per Cittadino")
    [subject] = [t for t in at.text_input if t.label == "Oggetto (modello)"]
    subject.set_value("Saldo per {{cognome}}")
    at.button(key=f"FormSubmitter:edit_flow_{flow_id}-Salva le modifiche").click().run()
    assert "il file non ha quelle colonne" in at.error[0].value
    _flow_in(sessions, flow_id, FlowState.ACTIVE)
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    assert [e.label for e in at.expander] == ["Salva come modello"]


def test_a_viewer_cannot_edit_a_flow(setup: dict[str, object]) -> None:
    at = app_as(setup["viewer"], "pages/flusso.py", setup["flow_id"])  # type: ignore[arg-type]
    assert not at.expander


def test_the_template_fields_count_their_characters_as_they_are_typed(
    setup: dict[str, object],
) -> None:
    at = app_as(setup["operator"], "pages/nuovo_flusso.py")  # type: ignore[arg-type]
    at.text_input(key="nf_subject").input("Avviso").run()
    assert any(":red[6 caratteri" in c.value and "ne mancano 4" in c.value for c in at.caption)
    at.text_input(key="nf_subject").input("Avviso per {{nome}}").run()
    assert any(c.value.startswith("11 caratteri fissi") and "nome" in c.value for c in at.caption)
    at.text_area(key="nf_text").input("Breve").run()
    assert any(c.value.startswith(":red[5 caratteri") for c in at.caption)


def test_invio_di_prova_sends_the_first_message_to_ios_test_citizen(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    at.button(key=f"trial_{flow_id}").click().run()
    [done] = at.success
    assert done.value.startswith("Notifica n. ") and "**accettato**" in done.value
    with sessions() as session:
        trial = session.query(Notification).filter_by(fiscal_code="AAAAAA00A00A000A").one()
        assert trial.flow_id is None and trial.subject == "Avviso per Cittadino 0"
    _flow_in(sessions, flow_id, FlowState.SENDING)
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    assert not [b for b in at.button if b.key == f"trial_{flow_id}"]


@pytest.mark.parametrize("param", ["flusso", "flow"])
def test_a_flow_opens_from_its_link_and_shows_the_link_to_share(
    setup: dict[str, object], param: str
) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["session_token"] = signed_in_token(setup["operator"])  # type: ignore[arg-type]
    at.query_params[param] = str(setup["flow_id"])
    at.run()
    at.switch_page("pages/flusso.py")
    at.query_params[param] = str(setup["flow_id"])
    at.run()
    assert not at.exception
    assert at.title[0].value == f"Flusso n. {setup['flow_id']} – TARI acconto"
    shared = [m.value for m in at.markdown if "Link da mandare a un collega" in m.value]
    assert shared and f"flusso?flusso={setup['flow_id']}" in shared[0]


def _nuovo_flusso_with(setup: dict[str, object], natura: str, content: bytes) -> AppTest:
    at = app_as(setup["operator"], "pages/nuovo_flusso.py")  # type: ignore[arg-type]
    at.selectbox(key="nf_service").set_value("Tributi - TARI")
    at.selectbox(key="nf_natura").set_value(natura)
    at.text_input(key="nf_name").input("Avviso senza importi")
    at.file_uploader(key="nf_file").upload("destinatari.csv", content, "text/csv")
    at.text_input(key="nf_subject").input("Avviso per {{nome}}")
    at.text_area(key="nf_text").input(TEXT)
    return at.run()


def _flows_named(sessions: sessionmaker[Session], name: str) -> int:
    with sessions() as session:
        return session.query(Flow).filter_by(name=name).count()


def test_crea_flusso_asks_to_confirm_a_payment_flow_whose_file_has_no_payment_columns(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    at = _nuovo_flusso_with(setup, "Avviso di pagamento", recipient_csv(fiscal_codes(3, seed=5)))
    at.button(key="nf_check").click().run()
    assert at.warning[0].value.startswith(
        "Il flusso è un pagamento, ma il file non ha le colonne del pagamento pagoPA"
    )
    at.button(key="nf_create").click().run()
    assert not at.exception
    assert _flows_named(sessions, "Avviso senza importi") == 0
    asked = [w.value for w in at.warning if w.value.startswith("Il flusso è un pagamento")]
    assert len(asked) == 2  # above the buttons, and in the report below
    confirm = at.checkbox(key="nf_confirmed")
    assert confirm.label == (
        "Crea il flusso senza dati di pagamento, premendo di nuovo «Crea flusso»"
    )
    confirm.check().run()
    at.button(key="nf_create").click().run()
    assert not at.exception
    assert _flows_named(sessions, "Avviso senza importi") == 1


def test_crea_flusso_asks_nothing_on_a_comunicazione_without_payment_columns(
    setup: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    at = _nuovo_flusso_with(setup, "Comunicazione", recipient_csv(fiscal_codes(3, seed=6)))
    at.button(key="nf_create").click().run()
    assert not at.exception
    assert not at.warning
    assert _flows_named(sessions, "Avviso senza importi") == 1
