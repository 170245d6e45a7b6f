"""«Rettifica» of a single notification: sent at once through «Nuovo»'s core (the same
checks, request keys and outcomes), to the same citizen, linked both ways; and
`appio notification correct`, with the exit status of `notification send`."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import openpyxl
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.audit.models import AUDIT_LOG
from appio_core.cli import cli
from appio_core.domain import Outcome
from appio_core.errors import Conflict
from appio_core.exports.workbooks import write_notifications
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.notifications.archive import NotificationFilters, search
from appio_core.notifications.content import FieldErrors
from appio_core.notifications.corrections import correct_notification, correction_draft
from appio_core.notifications.detail import get_detail
from appio_core.notifications.request_keys import RequestKeyReused
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.storage.models import Notification

from .conftest import SUBJECT, citizen

Send = Callable[..., SingleResult]
CORRECTION = (
    "Nel messaggio precedente la scadenza indicata era sbagliata: la seconda rata della TARI"
    " scade il 16 dicembre 2026, non il 16 novembre. Ci scusiamo per l'errore."
)


def _correct(
    sessions: sessionmaker[Session], keybox: KeyBox, actor: Actor, original: int, **asked: str
) -> SingleResult:
    return correct_notification(
        sessions,
        actor,
        original,
        subject=asked.pop("subject", f"Rettifica: {SUBJECT}"),
        text=asked.pop("text", CORRECTION),
        box=keybox,
        base_url="simulator",
        **asked,  # type: ignore[arg-type]
    )


def test_a_correction_reaches_the_same_citizen_at_once_and_both_link_to_each_other(
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    operator: Actor,
    message: NewNotification,
    send: Send,
) -> None:
    sent = send(operator, message)
    with sessions() as session:
        draft = correction_draft(session, operator, sent.id)
    assert (draft.subject, draft.subject_too_long) == (f"Rettifica: {SUBJECT}", None)
    fixed = _correct(sessions, keybox, operator, sent.id, subject=draft.subject)
    assert fixed.outcome == Outcome.ACCEPTED and fixed.id != sent.id
    messages = in_process_simulator().record.sends_by_fiscal_code()[message.fiscal_code]
    assert messages == [sent.io_message_id, fixed.io_message_id]
    stored = in_process_simulator().record.messages[fixed.io_message_id or ""].content
    assert stored["subject"] == f"Rettifica: {SUBJECT}"
    with sessions() as session:
        original = get_detail(session, operator, sent.id)
        correction = get_detail(session, operator, fixed.id)
        only = search(session, operator, NotificationFilters(only_corrections=True)).rows
        every = {r.id: r for r in search(session, operator, NotificationFilters()).rows}
    assert (original.corrected_by, original.corrects_notification_id) == ((fixed.id,), None)
    assert (correction.corrects_notification_id, correction.corrected_by) == (sent.id, ())
    assert (correction.fiscal_code, correction.service_id) == (
        message.fiscal_code,
        message.service_id,
    )
    assert [r.id for r in only] == [fixed.id]
    assert every[sent.id].corrected_by == fixed.id
    assert every[fixed.id].corrects_notification_id == sent.id
    assert original.can_correct and correction.can_correct  # a correction may be corrected


def test_a_correction_s_request_key_repeats_like_a_send_and_never_sends_twice(
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    operator: Actor,
    message: NewNotification,
    send: Send,
) -> None:
    sent = send(operator, message)
    first = _correct(sessions, keybox, operator, sent.id, request_key="rettifica-1")
    again = _correct(sessions, keybox, operator, sent.id, request_key="rettifica-1")
    assert (again.id, again.repeated, first.repeated) == (first.id, True, False)
    with pytest.raises(RequestKeyReused):
        _correct(
            sessions, keybox, operator, sent.id, request_key="rettifica-1", text=CORRECTION + "."
        )
    # The same key and words for a plain send are another request: refused too.
    with pytest.raises(RequestKeyReused):
        send(operator, message, subject=f"Rettifica: {SUBJECT}", text=CORRECTION,
             request_key="rettifica-1")  # fmt: skip
    assert len(in_process_simulator().record.sends_by_fiscal_code()[message.fiscal_code]) == 2


def test_what_cannot_be_corrected_is_refused_and_logged(
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    operator: Actor,
    message: NewNotification,
    send: Send,
) -> None:
    not_on_io = send(operator, message, fiscal_code=citizen(Kind.WITHOUT_IO, 3))
    with pytest.raises(Conflict) as refused:
        _correct(sessions, keybox, operator, not_on_io.id)
    assert refused.value.message == (
        f"La notifica n. {not_on_io.id} ha esito «non su IO»: si rettifica solo una notifica"
        " che IO ha accettato."
    )
    sent = send(operator, message)
    with pytest.raises(FieldErrors) as wrong:
        _correct(sessions, keybox, operator, sent.id, text="Troppo breve.")
    assert set(wrong.value.fields) == {"testo"}
    with sessions() as session:
        entries = session.execute(
            select(AUDIT_LOG.c.action, AUDIT_LOG.c.outcome, AUDIT_LOG.c.target).where(
                AUDIT_LOG.c.action == "notification.correct"
            )
        ).all()
    assert [tuple(e) for e in entries] == [
        ("notification.correct", "rifiutato", f"rettifica della notifica n. {not_on_io.id}"),
        ("notification.correct", "rifiutato", f"rettifica della notifica n. {sent.id}"),
    ]
    fixed = _correct(sessions, keybox, operator, sent.id)
    with sessions() as session:
        done = session.execute(
            select(AUDIT_LOG.c.outcome, AUDIT_LOG.c.target, AUDIT_LOG.c.detail).where(
                AUDIT_LOG.c.action == "notification.correct", AUDIT_LOG.c.outcome == "riuscito"
            )
        ).one()
    assert done.target == f"notifica n. {fixed.id}"
    assert done.detail.endswith(f"Rettifica della notifica n. {sent.id}.")
    assert CORRECTION not in done.detail and SUBJECT not in done.detail


def test_a_subject_too_long_with_the_prefix_is_said_before_anything_is_sent(
    sessions: sessionmaker[Session], operator: Actor, message: NewNotification, send: Send
) -> None:
    sent = send(operator, message, subject="S" * 115)
    with sessions() as session:
        draft = correction_draft(session, operator, sent.id)
    assert draft.subject == "Rettifica: " + "S" * 115
    assert draft.subject_too_long == (
        "Con «Rettifica:» davanti l'oggetto originale diventa di 126 caratteri, oltre il"
        " massimo di 120: scrivi un oggetto più breve."
    )


# ---- `appio notification correct` ------------------------------------------------------------


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_the_command_sends_the_correction_and_exits_as_send_does(
    services: dict[str, int], operator: Actor, message: NewNotification, send: Send
) -> None:
    sent = send(operator, message)
    result = run("notification", "correct", str(sent.id), "--text", CORRECTION, "--format",
                 "json", "--request-key", "k-1")  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert (answer["outcome"], answer["repeated"]) == ("accettato", False)
    again = run("notification", "correct", str(sent.id), "--text", CORRECTION,
                "--request-key", "k-1")  # fmt: skip
    assert again.exit_code == 0
    assert "Richiesta già ricevuta con questa chiave: nessun nuovo invio." in again.output
    shown = run("notification", "show", str(sent.id)).output
    assert f"Rettificata da n. {answer['id']}" in shown
    listed = json.loads(run("notification", "list", "--corrections", "--format", "json").output)
    assert [(r["id"], r["corrects_notification_id"]) for r in listed] == [(answer["id"], sent.id)]

    short = run("notification", "correct", str(sent.id), "--text", "Breve.")
    assert short.exit_code == 2
    assert short.output.splitlines()[-1] == "Nessun messaggio inviato."
    not_on_io = send(operator, message, fiscal_code=citizen(Kind.WITHOUT_IO, 4))
    refused = run("notification", "correct", str(not_on_io.id), "--text", CORRECTION)
    assert refused.exit_code == 1
    assert refused.output.startswith(f"Errore: La notifica n. {not_on_io.id} ha esito")
    missing = run("notification", "correct", str(sent.id))
    assert missing.exit_code == 2


def test_the_command_exits_3_when_io_does_not_take_the_correction(
    services: dict[str, int], operator: Actor, message: NewNotification, send: Send,
    sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    sent = send(operator, message)
    # The citizen has since turned the service off: IO answers, and takes nothing.
    blocked = citizen(Kind.BLOCKED, 5)
    with sessions.begin() as session:
        session.execute(
            update(Notification).where(Notification.id == sent.id).values(fiscal_code=blocked)
        )
    result = run("notification", "correct", str(sent.id), "--text", CORRECTION)
    assert result.exit_code == 3, result.output
    assert "servizio disattivato dal cittadino" in result.output


def test_the_excel_export_names_the_corrections(
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    operator: Actor,
    message: NewNotification,
    send: Send,
) -> None:
    sent = send(operator, message)
    fixed = _correct(sessions, keybox, operator, sent.id)
    buffer = io.BytesIO()
    with sessions() as session:
        write_notifications(session, operator, NotificationFilters(), buffer)
    rows = list(openpyxl.load_workbook(buffer)["Notifiche"].values)
    column = rows[0].index("Rettifica")
    assert {r[0]: r[column] for r in rows[1:]} == {
        sent.id: f"Rettificata da n. {fixed.id}",
        fixed.id: f"Rettifica di n. {sent.id}",
    }
