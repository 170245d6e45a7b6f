"""Buttons and «canale sicuro» on a single message: what IO receives, what is stored and
shown, from the core and from `appio notification send`."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.cli import cli
from appio_core.content import cta
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.notifications.content import BUTTONS, FieldErrors
from appio_core.notifications.detail import get_detail
from appio_core.notifications.single import NewNotification
from appio_core.storage.models import Notification

from .conftest import SUBJECT, TARI, TEXT, citizen
from .test_single import Send

BUTTONS_TYPED = (
    ("Paga la TARI", "https://www.comune.example.it/tari", "Pay the TARI"),
    ("Scrivici", "mailto:tributi@comune.example.it", ""),
)
SENT = cta.check_buttons(BUTTONS_TYPED)


def _sent_message(message_id: str) -> dict[str, object]:
    record = in_process_simulator().record
    stored = record.messages[message_id]
    return {"content": stored.content, "cta": stored.cta}


def test_io_receives_the_front_matter_and_require_secure_channels(
    send: Send, operator: Actor, message: NewNotification, sessions: sessionmaker[Session]
) -> None:
    result = send(operator, message, buttons=BUTTONS_TYPED, secure_channel=True)
    assert result.io_message_id is not None
    got = _sent_message(result.io_message_id)
    content = got["content"]
    assert isinstance(content, dict)
    assert content["markdown"] == cta.front_matter(SENT) + TEXT
    assert content["require_secure_channels"] is True
    # The simulator reads the buttons as the app does, and lists them in its record.
    assert got["cta"] == [b.to_json() for b in SENT]
    listed = in_process_simulator().record.to_json()["messages"]
    assert [(m["cta"], m["require_secure_channels"]) for m in listed] == [
        ([b.to_json() for b in SENT], True)
    ]
    with sessions() as session:
        row = session.get(Notification, result.id)
        assert row is not None
        # The text is kept as typed; the buttons beside it.
        assert (row.markdown, cta.from_json(row.cta), row.secure_channel) == (TEXT, SENT, True)
        detail = get_detail(session, operator, result.id)
    assert (detail.buttons, detail.secure_channel) == (SENT, True)


def test_without_buttons_the_markdown_is_the_text_and_no_secure_flag_is_sent(
    send: Send, operator: Actor, message: NewNotification
) -> None:
    result = send(operator, message)
    assert result.io_message_id is not None
    content = _sent_message(result.io_message_id)["content"]
    assert isinstance(content, dict)
    assert content["markdown"] == TEXT and "require_secure_channels" not in content


def test_a_wrong_button_sends_nothing(
    send: Send, operator: Actor, message: NewNotification, sessions: sessionmaker[Session]
) -> None:
    try:
        send(operator, message, buttons=(("Sito", "http://www.comune.example.it", ""),))
    except FieldErrors as exc:
        assert exc.fields == {
            BUTTONS: "Pulsante 1: l'indirizzo deve iniziare con https:// (non http://)."
        }
    else:
        raise AssertionError("a button with http:// was sent")
    assert in_process_simulator().record.messages == {}
    with sessions() as session:
        assert session.query(Notification).count() == 0


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_the_cli_sends_buttons_and_secure_channel_and_show_gives_them(
    services: dict[str, int],
) -> None:
    sent = run(
        "notification", "send", "--service", TARI.name, "--fiscal-code",
        citizen(Kind.WITH_IO, 3), "--subject", SUBJECT, "--text", TEXT, "--format", "json",
        "--cta", "Paga la TARI|Pay the TARI=https://www.comune.example.it/tari",
        "--cta", "Scrivici=mailto:tributi@comune.example.it", "--secure-channel",
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    notification_id = json.loads(sent.output)["id"]
    shown = json.loads(run("notification", "show", str(notification_id), "--format", "json").output)
    assert shown["cta"] == [b.to_json() for b in SENT]
    assert shown["require_secure_channels"] is True
    assert "buttons" not in shown and "secure_channel" not in shown
    text = run("notification", "show", str(notification_id)).output
    assert "Pulsanti: «Paga la TARI» → https://www.comune.example.it/tari;" in text
    assert "Canale sicuro: sì" in text


def test_the_cli_refuses_a_wrong_button_in_italian_and_sends_nothing(
    services: dict[str, int],
) -> None:
    sent = run(
        "notification", "send", "--service", TARI.name, "--fiscal-code",
        citizen(Kind.WITH_IO, 4), "--subject", SUBJECT, "--text", TEXT,
        "--cta", "Chiama=tel:ufficio",
    )  # fmt: skip
    assert sent.exit_code == 2
    assert (
        "Errore: Pulsanti: Pulsante 1: «tel:ufficio» non è un numero di telefono valido"
        in sent.output
    )
    assert in_process_simulator().record.messages == {}
    no_equals = run(
        "notification", "send", "--service", TARI.name, "--fiscal-code",
        citizen(Kind.WITH_IO, 4), "--subject", SUBJECT, "--text", TEXT, "--cta", "Chiama",
    )  # fmt: skip
    assert no_equals.exit_code == 2 and "scrivi «Etichetta=azione»" in no_equals.output
