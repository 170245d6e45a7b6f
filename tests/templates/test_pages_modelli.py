"""AppTest: «Modelli» (new template, new version with its differences, errors by field),
«Usa un modello» on «Nuovo flusso» and «Nuova notifica», and the details' template."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from appio_core.accounts.operators import get_operator
from appio_core.accounts.permissions import Actor
from appio_core.flows import importing
from appio_core.io.simulator import Kind
from appio_core.storage.models import Notification
from appio_core.templates.fields import TemplateFields
from appio_core.templates.queries import get_template, template_versions
from appio_core.templates.store import add_template

from ..apptest import app_as
from ..flows.conftest import fiscal_codes, recipient_csv
from ..notifications.conftest import TARI, citizen

SUBJECT = "TARI 2026 per {{nome}}"
TEXT = (
    "Gentile {{nome}}, le ricordiamo che il 16 dicembre scade la seconda rata della TARI."
    " Trova l'avviso di pagamento nella sezione Tributi del sito del Comune."
)


def _saved(sessions: sessionmaker[Session], operator: Actor, services: dict[str, int]) -> int:
    with sessions.begin() as session:
        fields = TemplateFields(subject_template=SUBJECT, text_template=TEXT)
        return add_template(session, operator, services[TARI.name], "TARI", fields).template_id


def _add(at: AppTest) -> Button:
    [add] = [b for b in at.button if b.label == "Aggiungi"]
    return add


def test_a_new_template_is_saved_with_a_preview_on_example_values(
    services: dict[str, int], operator: Actor, sessions: sessionmaker[Session]
) -> None:
    at = app_as(operator, "pages/modelli.py")
    assert at.title[0].value == "Modelli"
    assert at.info[0].value.startswith("Nessun modello salvato")
    at.text_input(key="tm_new_name").input("TARI")
    at.text_input(key="tm_new_subject").input(SUBJECT)
    at.text_area(key="tm_new_text").input(TEXT).run()
    assert at.text_input(key="tm_new_example_nome").value == "Maria"
    previews = [h.proto.body for h in at.get("html")]
    assert any("TARI 2026 per Maria" in body for body in previews)
    at.button(key="tm_new_save").click().run()
    assert not at.exception
    assert at.success[0].value == "Modello «TARI»: salvata la versione 1."
    assert at.selectbox(key="tm_choice").value == "TARI"
    with sessions() as session:
        assert get_template(session, operator, "TARI").fields.subject_template == SUBJECT


def test_a_wrong_template_shows_its_errors_by_field(
    services: dict[str, int], operator: Actor
) -> None:
    at = app_as(operator, "pages/modelli.py")
    at.text_input(key="tm_new_name").input("Rotto")
    at.text_input(key="tm_new_subject").input("TARI {{nome}")
    at.button(key="tm_new_save").click().run()
    errors = [e.value for e in at.error]
    assert any(e.startswith("Oggetto: Il modello dell'oggetto ha parentesi graffe") for e in errors)
    assert "Testo: Scrivi il modello del testo." in errors


def test_editing_saves_a_new_version_and_shows_the_differences(
    services: dict[str, int], operator: Actor, sessions: sessionmaker[Session]
) -> None:
    template_id = _saved(sessions, operator, services)
    at = app_as(operator, "pages/modelli.py")
    at.selectbox(key="tm_choice").select("TARI").run()
    key = f"tm_{template_id}_"
    assert at.text_input(key=key + "subject").value == SUBJECT
    at.text_input(key=key + "subject").input("TARI 2026, seconda rata, per {{nome}}")
    at.button(key=key + "save").click().run()
    assert at.success[0].value == "Modello «TARI»: salvata la versione 2."
    titles = [e.label for e in at.expander]
    assert any(t.startswith("Versione 2 · mrossi") and t.endswith("(attuale)") for t in titles)
    diffs = [c.value for c in at.code]
    assert any("+Oggetto: TARI 2026, seconda rata, per {{nome}}" in d for d in diffs)
    with sessions() as session:
        assert len(template_versions(session, operator, template_id)) == 2


def test_modelli_is_listed_for_who_may_send_and_not_for_a_viewer(
    services: dict[str, int], operator: Actor, sessions: sessionmaker[Session]
) -> None:
    from appio_ui.navigation import PAGES

    (spec,) = [p for p in PAGES if p.url_path == "modelli"]
    with sessions() as session:
        viewer = Actor.of(get_operator(session, "lbianchi"))
    assert (spec.allowed(operator), spec.allowed(viewer), spec.hidden) == (True, False, False)
    assert spec.section == next(p.section for p in PAGES if p.url_path == "nuovo_flusso")


def test_use_a_template_on_nuovo_flusso_and_nuova_notifica(
    services: dict[str, int], operator: Actor, sessions: sessionmaker[Session]
) -> None:
    used_id = _saved(sessions, operator, services)
    at = app_as(operator, "pages/nuovo_flusso.py")
    at.selectbox(key="nf_service").select(TARI.name).run()
    picker = at.selectbox(key=f"nf_template_{services[TARI.name]}")
    picker.select("TARI").run()
    assert at.text_input(key="nf_subject").value == SUBJECT
    assert at.text_area(key="nf_text").value == TEXT

    at = app_as(operator, "pages/nuova_notifica.py")
    at.selectbox(key="nn_service").select(TARI.name).run()
    at.selectbox(key=f"nn_template_{services[TARI.name]}").select("TARI").run()
    assert at.text_input(key="nn_subject").value == SUBJECT
    at.text_input(key="nn_cf").input(citizen(Kind.WITH_IO, 30))
    _add(at).click().run()  # with the placeholders left: refused
    assert "Sostituisci {{nome}} con il valore per questo destinatario." in [
        e.value for e in at.error
    ]
    at.text_input(key="nn_subject").input(SUBJECT.replace("{{nome}}", "Ada"))
    at.text_area(key="nn_text").input(TEXT.replace("{{nome}}", "Ada")).run()
    _add(at).click().run()
    assert at.success, [e.value for e in at.error]
    with sessions() as session:
        row = session.scalars(select(Notification).where(Notification.flow_id.is_(None))).one()
        assert (row.template_id, row.template_version, row.subject) == (
            used_id,
            1,
            "TARI 2026 per Ada",
        )


def test_a_flows_detail_names_its_template_and_saves_one(
    services: dict[str, int], operator: Actor, sessions: sessionmaker[Session]
) -> None:
    _saved(sessions, operator, services)
    with sessions.begin() as session:
        used = get_template(session, operator, "TARI")
        flow = importing.import_flow(
            session,
            operator,
            service_id=services[TARI.name],
            name="Da modello",
            natura="Comunicazione",
            source=recipient_csv(fiscal_codes(2)),
            filename="f.csv",
            templates=importing.Templates(SUBJECT, TEXT),
            options=importing.FlowOptions(template=used.ref),
        )
        flow_id = flow.id
    at = app_as(operator, "pages/flusso.py", flow_id=flow_id)
    assert "Dal modello «TARI», versione 1." in [c.value for c in at.caption]
    at.text_input(key=f"flow_template_{flow_id}_name").input("Copia")
    at.button(key=f"flow_template_{flow_id}_save").click().run()
    assert at.success[0].value == "Modello «Copia» salvato: lo trovi su «Modelli»."


def test_a_templates_buttons_and_secure_channel_on_modelli_and_where_it_is_used(
    services: dict[str, int], operator: Actor, sessions: sessionmaker[Session]
) -> None:
    at = app_as(operator, "pages/modelli.py")
    at.text_input(key="tm_new_name").input("TARI")
    at.selectbox(key="tm_new_service").select(TARI.name)
    at.text_input(key="tm_new_subject").input(SUBJECT)
    at.text_area(key="tm_new_text").input(TEXT)
    at.text_input(key="tm_new_cta1_label").input("Paga la TARI")
    at.text_input(key="tm_new_cta1_action").input("http://www.comune.example.it/tari").run()
    assert any("deve iniziare con https://" in e.value for e in at.error)
    at.text_input(key="tm_new_cta1_action").input("https://www.comune.example.it/tari")
    at.checkbox(key="tm_new_secure").check().run()
    assert not at.error
    previews = [h.proto.body for h in at.get("html")]
    assert any("TARI 2026 per Maria" in b and "Paga la TARI" in b for b in previews)
    assert any("al massimo" in c.value and "pulsanti" in c.value for c in at.caption)
    at.button(key="tm_new_save").click().run()
    assert at.success[0].value == "Modello «TARI»: salvata la versione 1."
    with sessions() as session:
        fields = get_template(session, operator, "TARI").fields
    assert [b.target for b in fields.buttons] == ["https://www.comune.example.it/tari"]
    assert fields.require_secure_channels is True

    at = app_as(operator, "pages/nuovo_flusso.py")
    at.selectbox(key="nf_service").select(TARI.name).run()
    at.selectbox(key=f"nf_template_{services[TARI.name]}").select("TARI").run()
    assert at.text_input(key="nf_cta1_label").value == "Paga la TARI"
    assert at.text_input(key="nf_cta1_action").value == "https://www.comune.example.it/tari"
    assert at.checkbox(key="nf_secure").value is True

    at = app_as(operator, "pages/nuova_notifica.py")
    at.selectbox(key="nn_service").select(TARI.name).run()
    at.text_input(key="nn_cta2_label").input("Vecchio").run()
    at.selectbox(key=f"nn_template_{services[TARI.name]}").select("TARI").run()
    assert at.text_input(key="nn_cta1_label").value == "Paga la TARI"
    assert at.text_input(key="nn_cta2_label").value == ""  # the template has one button
    assert at.checkbox(key="nn_secure").value is True
