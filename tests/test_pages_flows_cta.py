"""AppTest: the buttons and «canale sicuro» in «Nuovo flusso», its preview, «Modifica» and
the flow's page."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from appio_core.content import cta
from appio_core.storage.models import Flow

from .flows.conftest import fiscal_codes, recipient_csv
from .test_pages_flows import _nuovo_flusso_with, setup  # noqa: F401 (a fixture)


def _html(at: AppTest) -> str:
    return "".join(str(element.proto.body) for element in at.get("html"))


def _flow(sessions: sessionmaker[Session], name: str) -> Flow:
    with sessions() as session:
        return session.query(Flow).filter_by(name=name).one()


def test_nuovo_flusso_previews_and_creates_a_flow_with_buttons_and_secure_channel(
    setup: dict[str, object],  # noqa: F811
    sessions: sessionmaker[Session],
) -> None:
    at = _nuovo_flusso_with(setup, "Comunicazione", recipient_csv(fiscal_codes(3, seed=8)))
    at.text_input(key="nf_cta1_label").input("Paga la TARI")
    at.text_input(key="nf_cta1_en").input("Pay the TARI")
    at.text_input(key="nf_cta1_action").input("https://www.comune.example.it/tari")
    at.text_input(key="nf_cta2_label").input("Accedi")
    at.text_input(key="nf_cta2_action").input("iosso://https://servizi.comune.example.it")
    at.checkbox(key="nf_secure").check().run()
    at.button(key="nf_check").click().run()
    assert not at.exception
    preview = _html(at)
    assert "Paga la TARI" in preview and "accesso al sito con IO" in preview
    at.button(key="nf_create").click().run()
    assert not at.exception
    flow = _flow(sessions, "Avviso senza importi")
    assert cta.from_json(flow.cta) == cta.check_buttons(
        [
            ("Paga la TARI", "https://www.comune.example.it/tari", "Pay the TARI"),
            ("Accedi", "iosso://https://servizi.comune.example.it", ""),
        ]
    )
    assert flow.secure_channel


def test_nuovo_flusso_refuses_a_wrong_button_in_italian_and_creates_nothing(
    setup: dict[str, object],  # noqa: F811
    sessions: sessionmaker[Session],
) -> None:
    at = _nuovo_flusso_with(setup, "Comunicazione", recipient_csv(fiscal_codes(3, seed=9)))
    at.text_input(key="nf_cta1_label").input("Scrivici")
    at.text_input(key="nf_cta1_action").input("mailto:tributi").run()
    at.button(key="nf_create").click().run()
    assert [e.value for e in at.error] == [
        "Pulsante 1: «mailto:tributi» non è un indirizzo e-mail valido: scrivi mailto: seguito"
        " dall'indirizzo, per esempio mailto:tributi@comune.example.it."
    ]
    with sessions() as session:
        assert session.query(Flow).filter_by(name="Avviso senza importi").count() == 0


def test_modifica_sets_the_buttons_and_the_page_shows_them(
    setup: dict[str, object],  # noqa: F811
    sessions: sessionmaker[Session],
) -> None:
    from .apptest import app_as

    flow_id = int(setup["flow_id"])  # type: ignore[call-overload]
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    prefix = f"ef{flow_id}_"
    at.text_input(key=f"{prefix}cta1_label").input("Chiama l'ufficio")
    at.text_input(key=f"{prefix}cta1_action").input("tel:+390612345678")
    at.checkbox(key=f"{prefix}secure").check()
    at.button(key=f"FormSubmitter:edit_flow_{flow_id}-Salva le modifiche").click().run()
    assert at.success[0].value == "Flusso modificato."
    with sessions() as session:
        flow = session.get(Flow, flow_id)
        assert flow is not None and flow.secure_channel
        assert [b.action for b in cta.from_json(flow.cta)] == ["iohandledlink://tel:+390612345678"]
    at = app_as(setup["operator"], "pages/flusso.py", flow_id)  # type: ignore[arg-type]
    said = [m.value for m in at.markdown]
    assert "**Pulsanti:** «Chiama l'ufficio» → tel:\\+390612345678" in said
    assert "**Canale sicuro:** sì" in said
    # The form starts from the flow's buttons.
    assert at.text_input(key=f"{prefix}cta1_label").value == "Chiama l'ufficio"
