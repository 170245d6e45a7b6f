"""AppTest tests of Notifiche, Nuova notifica and Dettaglio notifica."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from appio_core.accounts.permissions import Actor
from appio_core.io.simulator import Kind
from appio_core.storage.models import Notification

from ..apptest import app_as
from .conftest import SUBJECT, TARI, TEXT, citizen


def _compose(at: AppTest, fiscal_code: str, subject: str = SUBJECT) -> AppTest:
    at.selectbox(key="nn_service").select(TARI.name)
    at.text_input(key="nn_cf").input(fiscal_code)
    at.text_input(key="nn_subject").input(subject)
    at.text_area(key="nn_text").input(TEXT)
    return at.run()


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Notification)) or 0


def test_the_archive_lists_every_message_with_its_total(
    operator: Actor, viewer: Actor, services: dict[str, int]
) -> None:
    at = app_as(operator, "pages/notifiche.py")
    assert at.title[0].value == "Notifiche"
    assert at.caption[0].value.startswith("Nessuna notifica corrisponde ai filtri.")
    assert [b.label for b in at.button if b.label == "Nuovo"] == ["Nuovo"]
    reader = app_as(viewer, "pages/notifiche.py")
    assert not [b for b in reader.button if b.label == "Nuovo"]


def test_a_viewer_has_no_composer(viewer: Actor, services: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as(viewer, "pages/nuova_notifica.py")


def test_the_composer_checks_the_code_as_it_is_typed_and_counts_characters(
    operator: Actor, services: dict[str, int]
) -> None:
    at = app_as(operator, "pages/nuova_notifica.py")
    at.text_input(key="nn_cf").input("RSSMRA80A01H501X").run()
    assert "carattere di controllo" in at.error[0].value
    at.text_input(key="nn_subject").input("Avviso").run()
    assert "6 caratteri: ne servono almeno 10" in at.caption[1].value


def test_aggiungi_sends_once_and_shows_the_outcome_at_once(
    operator: Actor, services: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    at = _compose(app_as(operator, "pages/nuova_notifica.py"), citizen(Kind.WITH_IO, 20))
    [add] = [b for b in at.button if b.label == "Aggiungi"]
    add.click().run()
    assert at.success[0].value.startswith("Notifica n. 1: **accettato**.")
    assert _count(sessions) == 1
    # The form is locked after the send: a rerun (or a second click) sends nothing more.
    at.run()
    assert not [b for b in at.button if b.label == "Aggiungi"]
    assert _count(sessions) == 1
    [again] = [b for b in at.button if b.label == "Nuova notifica"]
    again.click().run()
    assert at.text_input(key="nn_cf").value == ""


def test_nuovo_after_a_send_opens_an_empty_usable_form(
    operator: Actor, services: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    """Issue 16: the previous outcome stayed above an empty, locked form."""
    at = _compose(app_as(operator, "pages/nuova_notifica.py"), citizen(Kind.WITH_IO, 21))
    [add] = [b for b in at.button if b.label == "Aggiungi"]
    add.click().run()
    assert at.success[0].value.startswith("Notifica n. 1: **accettato**.")
    at.switch_page("pages/notifiche.py").run()
    [new] = [b for b in at.button if b.label == "Nuovo"]
    new.click().run()
    assert at.title[0].value == "Nuova notifica"
    assert not at.success and not [b for b in at.button if b.label == "Nuova notifica"]
    assert not at.text_input(key="nn_cf").disabled and at.text_input(key="nn_cf").value == ""
    # Usable: a second message goes out from it (AppTest keeps its own page pointer).
    at.switch_page("pages/nuova_notifica.py").run()
    _compose(at, citizen(Kind.WITH_IO, 22))
    [add] = [b for b in at.button if b.label == "Aggiungi"]
    add.click().run()
    assert at.success[0].value.startswith("Notifica n. 2: **accettato**.")
    assert _count(sessions) == 2


def test_bad_fields_are_refused_one_by_one_and_nothing_typed_is_lost(
    operator: Actor, services: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    at = _compose(app_as(operator, "pages/nuova_notifica.py"), "AAAAAA00A00A000A", "Breve")
    [add] = [b for b in at.button if b.label == "Aggiungi"]
    add.click().run()
    assert [e.value for e in at.error] == [
        "L'oggetto è troppo corto: ha 5 caratteri, ne servono almeno 10."
    ]
    assert at.text_area(key="nn_text").value == TEXT
    assert _count(sessions) == 0


def test_the_detail_shows_stato_mail_and_the_flow_or_single_origin(
    operator: Actor, services: dict[str, int]
) -> None:
    at = _compose(app_as(operator, "pages/nuova_notifica.py"), citizen(Kind.WITH_IO, 21))
    [add] = [b for b in at.button if b.label == "Aggiungi"]
    add.click().run()
    detail = app_as(operator, "pages/notifica.py", notification_id=1)
    assert detail.title[0].value == "Notifica n. 1"
    assert "Notifica singola" in detail.caption[0].value
    facts = detail.table[0].value
    assert facts.loc["Stato Mail", "Valore"].startswith("Non comunicato da IO")
    assert facts.loc["Codice fiscale", "Valore"] == citizen(Kind.WITH_IO, 21)
    shared = [m.value for m in detail.markdown if "Link da mandare a un collega" in m.value]
    assert shared and "notifica?notifica=1" in shared[0]
    [refresh] = [b for b in detail.button if b.label == "Aggiorna stato"]
    refresh.click().run()
    assert detail.success[0].value == "Stato letto da IO ora."


def test_the_detail_of_a_notification_of_another_service_is_refused(
    viewer: Actor, services: dict[str, int], operator: Actor
) -> None:
    at = _compose(app_as(operator, "pages/nuova_notifica.py"), citizen(Kind.WITH_IO, 22))
    at.selectbox(key="nn_service").select("Servizi scolastici - Mensa").run()
    [add] = [b for b in at.button if b.label == "Aggiungi"]
    add.click().run()
    refused = app_as(viewer, "pages/notifica.py", notification_id=1)
    assert refused.error[0].value == "Non sei abilitato a questo servizio."


def test_a_viewer_reads_the_detail_but_cannot_aggiorna_stato(
    viewer: Actor, services: dict[str, int], operator: Actor
) -> None:
    """«Aggiorna stato» writes IO's status into the archive: «consultazione» changes nothing."""
    at = _compose(app_as(operator, "pages/nuova_notifica.py"), citizen(Kind.WITH_IO, 23))
    [add] = [b for b in at.button if b.label == "Aggiungi"]
    add.click().run()
    reader = app_as(viewer, "pages/notifica.py", notification_id=1)
    assert reader.title[0].value == "Notifica n. 1"
    assert [b.label for b in reader.button if b.label == "Aggiorna stato"] == []
