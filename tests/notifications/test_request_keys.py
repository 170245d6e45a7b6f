"""Request keys: the same author's key with the same message finds the first notification;
with another message it is refused and nothing is sent; another author's key is his own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.operators import get_operator
from appio_core.accounts.permissions import Actor
from appio_core.audit.models import AuditEntry
from appio_core.domain import FeatureLevel, Outcome
from appio_core.errors import InvalidInput
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.notifications import single
from appio_core.notifications.request_keys import BAD_KEY, RequestKeyReused
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.storage.models import Notification

from .conftest import MENSA, citizen

Send = Callable[..., SingleResult]
KEY = "3f1c9a7e-modulo-1"


def _refusal(notification_id: int) -> str:
    return (
        f"La chiave di richiesta è già stata usata per un altro messaggio (notifica n."
        f" {notification_id}): questo messaggio non è stato inviato. Per inviarlo usa una"
        " chiave nuova: nella pagina premi «Nuova notifica», dalla riga di comando cambia"
        " --request-key."
    )


def _requests() -> int:
    return len(in_process_simulator().record.requests)


def _messages_to(fiscal_code: str) -> list[str]:
    return in_process_simulator().record.sends_by_fiscal_code().get(fiscal_code, [])


def _rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Notification)) or 0


# What a second request with the key changes; each makes it another message.
OTHER_MESSAGE: list[tuple[str, Callable[[dict[str, int]], dict[str, Any]]]] = [
    ("oggetto", lambda _: {"subject": "Promemoria TARI 2026, seconda rata"}),
    ("testo", lambda _: {"text": "Gentile cittadino, " + "la scadenza è cambiata. " * 6}),
    ("codice fiscale", lambda _: {"fiscal_code": citizen(Kind.WITH_IO, 31)}),
    ("servizio", lambda services: {"service_id": services[MENSA.name]}),
    ("importo", lambda _: {"amount": "12,00", "notice_number": "302000000000000001"}),
    ("scadenza", lambda _: {"due_date": "31/12/2026"}),
    ("livello", lambda _: {"feature_level": FeatureLevel.ADVANCED}),
]


@pytest.mark.parametrize(("_what", "change"), OTHER_MESSAGE, ids=[w for w, _ in OTHER_MESSAGE])
def test_the_same_key_with_another_message_is_refused_and_nothing_is_sent(
    send: Send,
    operator: Actor,
    message: NewNotification,
    services: dict[str, int],
    sessions: sessionmaker[Session],
    _what: str,
    change: Callable[[dict[str, int]], dict[str, Any]],
) -> None:
    code = citizen(Kind.WITH_IO, 30)
    first = send(operator, message, fiscal_code=code, request_key=KEY)
    assert first.outcome == Outcome.ACCEPTED
    requests = _requests()
    with pytest.raises(RequestKeyReused) as refused:
        send(operator, message, **{"fiscal_code": code, "request_key": KEY, **change(services)})
    assert refused.value.message == _refusal(first.id)
    assert _requests() == requests  # not even a profile check
    assert _messages_to(code) == [first.io_message_id]
    assert _rows(sessions) == 1
    with sessions() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.operator, entry.action, entry.outcome) == (
        "mrossi",
        "notification.send",
        "rifiutato",
    )
    assert entry.detail == _refusal(first.id)


def test_the_same_key_with_the_same_message_returns_the_first_outcome_and_sends_nothing(
    send: Send, operator: Actor, message: NewNotification, sessions: sessionmaker[Session]
) -> None:
    code = citizen(Kind.WITH_IO, 32)
    payment = {"notice_number": "302000000000000001", "due_date": "31/12/2026 18:00"}
    first = send(operator, message, fiscal_code=code, request_key=KEY, amount="1234,5", **payment)
    requests = _requests()
    # The same message as checked: the amount written another way, spaces around the key.
    again = send(
        operator, message, fiscal_code=code.lower(), request_key=f" {KEY} ", amount="1.234,50",
        **payment,
    )  # fmt: skip
    assert again == SingleResult(
        first.id, Outcome.ACCEPTED, first.io_message_id, 201, None, repeated=True
    )
    assert _requests() == requests
    assert _messages_to(code) == [first.io_message_id]
    assert _rows(sessions) == 1


def test_a_repeat_of_a_message_that_did_not_reach_the_citizen_is_not_sent_either(
    send: Send, operator: Actor, message: NewNotification
) -> None:
    code = citizen(Kind.WITHOUT_IO, 33)
    first = send(operator, message, fiscal_code=code, request_key=KEY)
    requests = _requests()
    again = send(operator, message, fiscal_code=code, request_key=KEY)
    assert (again.id, again.outcome, again.detail, again.repeated) == (
        first.id,
        Outcome.NOT_ON_IO,
        first.detail,
        True,
    )
    assert _requests() == requests


def test_two_operators_may_use_the_same_key_each_for_his_own_message(
    send: Send, operator: Actor, message: NewNotification, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        admin = Actor.of(get_operator(session, "admin"))
    code = citizen(Kind.WITH_IO, 34)
    mine = send(operator, message, fiscal_code=code, request_key=KEY)
    theirs = send(admin, message, fiscal_code=code, request_key=KEY)
    assert (mine.repeated, theirs.repeated) == (False, False)
    assert theirs.id != mine.id
    assert sorted(_messages_to(code)) == sorted([mine.io_message_id, theirs.io_message_id])
    # And each finds his own again.
    assert send(admin, message, fiscal_code=code, request_key=KEY).id == theirs.id
    assert send(operator, message, fiscal_code=code, request_key=KEY).id == mine.id


BAD_KEYS = ["", "   ", "k" * 65, "chiave con spazi", "perché", "tab\there"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_that_cannot_be_stored_is_refused_before_anything_is_sent(
    send: Send,
    operator: Actor,
    message: NewNotification,
    sessions: sessionmaker[Session],
    key: str,
) -> None:
    requests = _requests()
    with pytest.raises(InvalidInput) as refused:
        send(operator, message, request_key=key)
    assert refused.value.message == BAD_KEY
    assert (_requests(), _rows(sessions)) == (requests, 0)


def test_a_key_of_64_characters_is_taken(
    send: Send, operator: Actor, message: NewNotification
) -> None:
    first = send(operator, message, request_key="k" * 64)
    assert send(operator, message, request_key="k" * 64).id == first.id


@pytest.fixture
def at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two requests checked before either registers its row, as two processes can: one of
    them then meets the other's row at the insert (the unique index on the key)."""
    barrier = threading.Barrier(2, timeout=60)
    new_row = single._new_row

    def checked_together(*args: Any) -> Notification:
        barrier.wait()
        return new_row(*args)

    monkeypatch.setattr(single, "_new_row", checked_together)


def _both(send: Send, actor: Actor, messages: list[NewNotification]) -> list[object]:
    """Each message sent by its own thread (its own connections), at once."""
    results: list[object] = [None, None]

    def run(index: int) -> None:
        try:
            results[index] = send(actor, messages[index])
        except Exception as exc:  # kept, and asserted on by the caller
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_the_same_request_twice_at_once_sends_one_message(
    at_once: None, send: Send, operator: Actor, message: NewNotification
) -> None:
    code = citizen(Kind.WITH_IO, 35)
    same = replace(message, fiscal_code=code, request_key=KEY)
    results = _both(send, operator, [same, same])
    assert all(isinstance(r, SingleResult) for r in results), results
    first, second = sorted(results, key=lambda r: r.repeated)  # type: ignore[attr-defined]
    assert (first.repeated, second.repeated) == (False, True)  # type: ignore[attr-defined]
    assert first.id == second.id  # type: ignore[attr-defined]
    assert _messages_to(code) == [first.io_message_id]  # type: ignore[attr-defined]


def test_two_messages_with_one_key_at_once_send_one_and_refuse_the_other(
    at_once: None,
    send: Send,
    operator: Actor,
    message: NewNotification,
    sessions: sessionmaker[Session],
) -> None:
    codes = [citizen(Kind.WITH_IO, 36), citizen(Kind.WITH_IO, 37)]
    messages = [replace(message, fiscal_code=code, request_key=KEY) for code in codes]
    results = _both(send, operator, messages)
    sent = [r for r in results if isinstance(r, SingleResult)]
    refused = [r for r in results if isinstance(r, RequestKeyReused)]
    assert (len(sent), len(refused)) == (1, 1), results
    assert refused[0].message == _refusal(sent[0].id)
    assert sum(len(_messages_to(code)) for code in codes) == 1
    assert _rows(sessions) == 1
