"""AppTest: the buttons and «canale sicuro» in «Nuova notifica», its preview and the detail."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from appio_core.accounts.permissions import Actor
from appio_core.content import cta
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.storage.models import Notification

from ..apptest import app_as
from .conftest import SUBJECT, TARI, TEXT, citizen


def _html(at: AppTest) -> str:
    return "".join(str(element.proto.body) for element in at.get("html"))


def _compose(at: AppTest, fiscal_code: str) -> AppTest:
    at.selectbox(key="nn_service").select(TARI.name)
    at.text_input(key="nn_cf").input(fiscal_code)
    at.text_input(key="nn_subject").input(SUBJECT)
    at.text_area(key="nn_text").input(TEXT)
    at.text_input(key="nn_cta1_label").input("Paga la TARI")
    at.text_input(key="nn_cta1_action").input("https://www.comune.example.it/tari")
    at.text_input(key="nn_cta2_label").input("Chiama l'ufficio")
    at.text_input(key="nn_cta2_action").input("tel:+39 06 1234 5678")
    at.checkbox(key="nn_secure").check()
    return at.run()


def test_the_preview_shows_the_buttons_below_the_text_and_aggiungi_sends_them(
    operator: Actor, services: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    at = _compose(app_as(operator, "pages/nuova_notifica.py"), citizen(Kind.WITH_IO, 30))
    assert not at.exception and not at.error
    preview = _html(at)
    assert "Paga la TARI" in preview and "telefonata: tel:+390612345678" in preview
    assert preview.index("Gentile cittadino") < preview.index("Paga la TARI")
    assert "cta_1" not in preview  # the front matter is never shown as text
    [secure] = [c for c in at.checkbox if c.key == "nn_secure"]
    assert "push" in (secure.help or "")
    [add] = [b for b in at.button if b.label == "Aggiungi"]
    add.click().run()
    assert at.success[0].value.startswith("Notifica n. 1: **accettato**.")
    with sessions() as session:
        row = session.get(Notification, 1)
        assert row is not None
        assert [b.label for b in cta.from_json(row.cta)] == ["Paga la TARI", "Chiama l'ufficio"]
        assert row.secure_channel
    [message] = in_process_simulator().record.messages.values()
    assert message.content["require_secure_channels"] is True
    assert message.content["markdown"].startswith("---\nit:\n    cta_1:")
    # «Nuova notifica» empties the buttons too.
    [again] = [b for b in at.button if b.label == "Nuova notifica"]
    again.click().run()
    assert at.text_input(key="nn_cta1_label").value == ""
    assert at.checkbox(key="nn_secure").value is False
    detail = app_as(operator, "pages/notifica.py", notification_id=1)
    facts = detail.table[0].value
    assert facts.loc["Pulsanti", "Valore"] == (
        "«Paga la TARI» → https://www.comune.example.it/tari; «Chiama l'ufficio» →"
        " tel:+390612345678"
    )
    assert facts.loc["Canale sicuro", "Valore"].startswith("Sì")
    assert "Paga la TARI" in _html(detail)


def test_a_wrong_action_is_said_in_italian_and_nothing_is_sent(
    operator: Actor, services: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    at = _compose(app_as(operator, "pages/nuova_notifica.py"), citizen(Kind.WITH_IO, 31))
    at.text_input(key="nn_cta1_action").input("http://www.comune.example.it").run()
    assert [e.value for e in at.error] == [
        "Pulsante 1: l'indirizzo deve iniziare con https:// (non http://)."
    ]
    [add] = [b for b in at.button if b.label == "Aggiungi"]
    add.click().run()
    assert "Pulsante 1: l'indirizzo deve iniziare con https://" in at.error[0].value
    assert in_process_simulator().record.messages == {}
    with sessions() as session:
        assert session.query(Notification).count() == 0
