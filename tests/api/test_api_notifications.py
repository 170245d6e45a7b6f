"""POST /api/v1/notifications (queued for the worker, with an Idempotency-Key), GET one,
GET the archive with a cursor: the form's rules, per-field problems in Italian, scopes and
services, and never two messages for one key."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import Outcome
from appio_core.integrations.keys import CreatedIntegration
from appio_core.integrations.scopes import Scope
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.notifications.interrupted import INTERRUPTED_AFTER, recover_interrupted
from appio_core.notifications.queued import claim_queued
from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig
from appio_core.storage.models import Notification, utcnow
from appio_core.templates.fields import TemplateFields
from appio_core.templates.store import add_template
from tests.api.conftest import MENSA, TARI, bearer
from tests.notifications.conftest import SUBJECT, TEXT, citizen

URL = "/api/v1/notifications"


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_name": TARI.name,
        "fiscal_code": citizen(Kind.WITH_IO),
        "subject": SUBJECT,
        "markdown": TEXT,
    }
    return body | changes


def _headers(key: str, idempotency_key: str | None = "chiave-1") -> dict[str, str]:
    headers = bearer(key)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


def _work(sessions: sessionmaker[Session], keybox: KeyBox) -> None:
    """One worker, until nothing is left to do now."""
    config = DispatcherConfig(idle_sleep=0.01)
    asyncio.run(Dispatcher(sessions, keybox, "simulator", config).run(once=True))


def _messages_to(code: str) -> list[Any]:
    return [m for m in in_process_simulator().record.messages.values() if m.fiscal_code == code]


def test_a_message_is_queued_then_sent_by_the_worker_and_read_back(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:
    made = make_integration()
    answer = client.post(
        URL,
        json=_body(amount=12050, notice_number="302000100000019421", due_date="2026-12-31"),
        headers=_headers(made.key),
    )
    assert answer.status_code == 202, answer.text
    queued = answer.json()
    assert queued["outcome"] == "da inviare" and queued["io_message_id"] is None
    assert queued["amount"] == 12050 and queued["service_name"] == TARI.name
    # The answer is built from the row as written (no read back): the same as a GET now.
    assert client.get(f"{URL}/{queued['id']}", headers=bearer(made.key)).json() == queued
    with sessions() as session:
        row = session.get(Notification, queued["id"])
        assert row is not None
        assert (row.integration_id, row.flow_id, row.outcome) == (made.id, None, Outcome.PENDING)
        assert row.created_by == "api:Tributi"

    _work(sessions, keybox)

    shown = client.get(f"{URL}/{queued['id']}", headers=bearer(made.key))
    assert shown.status_code == 200
    state = shown.json()
    assert state["outcome"] == "accettato" and state["io_message_id"]
    assert state["sent_at"] is not None and state["send_started_at"] is not None
    assert len(_messages_to(citizen(Kind.WITH_IO))) == 1


def test_the_form_s_rules_answer_per_field_in_italian(
    client: TestClient, make_integration: Callable[..., CreatedIntegration]
) -> None:
    made = make_integration()
    answer = client.post(
        URL,
        json=_body(fiscal_code="RSSMRA80A01H501X", subject="Breve", amount=500),
        headers=_headers(made.key),
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert set(fields) == {"fiscal_code", "subject", "notice_number"}
    assert "numero avviso" in fields["notice_number"]

    schema = client.post(
        URL, json=_body(due_date="31/12/2026", colore="rosso"), headers=_headers(made.key)
    )
    assert schema.status_code == 422
    fields = {e["field"]: e["message"] for e in schema.json()["errors"]}
    assert fields == {
        "due_date": "non ha il formato atteso",
        "colore": "campo non previsto: toglilo",
    }

    zero = client.post(
        URL, json=_body(amount=0, notice_number="302000100000019421"), headers=_headers(made.key)
    )
    assert {e["field"]: e["message"] for e in zero.json()["errors"]} == {
        "amount": "L'importo deve essere di almeno € 0,01."
    }


def test_the_idempotency_key_is_required_and_kept_per_body(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
) -> None:
    made = make_integration()
    missing = client.post(URL, json=_body(), headers=_headers(made.key, None))
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["Idempotency-Key"]
    spaced = client.post(URL, json=_body(), headers=_headers(made.key, "una chiave"))
    assert spaced.status_code == 422
    assert [e["field"] for e in spaced.json()["errors"]] == ["Idempotency-Key"]

    first = client.post(URL, json=_body(), headers=_headers(made.key))
    again = client.post(URL, json=_body(), headers=_headers(made.key))
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]

    other = client.post(URL, json=_body(subject=SUBJECT + " bis"), headers=_headers(made.key))
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    with sessions() as session:
        assert len(session.scalars(select(Notification.id)).all()) == 1


def test_twenty_parallel_posts_with_one_key_make_one_notification_and_one_message(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:
    made = make_integration()
    code = citizen(Kind.WITH_IO, 3)
    start = threading.Barrier(20)
    answers: list[tuple[int, int]] = []

    def post() -> None:
        start.wait()
        answer = client.post(URL, json=_body(fiscal_code=code), headers=_headers(made.key, "k20"))
        answers.append((answer.status_code, answer.json().get("id", -1)))

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for status, _ in answers) == [200] * 19 + [202], answers
    assert len({notification_id for _, notification_id in answers}) == 1
    _work(sessions, keybox)
    _work(sessions, keybox)  # a second worker finds nothing to send again
    with sessions() as session:
        rows = session.scalars(select(Notification)).all()
        assert [r.outcome for r in rows] == [Outcome.ACCEPTED]
    assert len(_messages_to(code)) == 1


def test_scopes_and_services_bound_the_key(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
) -> None:
    reader = make_integration("Lettore", scopes=frozenset({Scope.READ_NOTIFICATIONS}))
    refused = client.post(URL, json=_body(), headers=_headers(reader.key))
    assert refused.status_code == 403 and "Invio notifiche" in refused.json()["detail"]

    sender = make_integration("Mittente", scopes=frozenset({Scope.SEND_NOTIFICATIONS}))
    assert client.get(URL, headers=bearer(sender.key)).status_code == 403

    mensa = make_integration("Mensa", service_names=(MENSA.name,))
    elsewhere = client.post(URL, json=_body(), headers=_headers(mensa.key))
    assert elsewhere.status_code == 403

    tributi = make_integration()
    made = client.post(URL, json=_body(), headers=_headers(tributi.key)).json()
    hidden = client.get(f"{URL}/{made['id']}", headers=bearer(mensa.key))
    missing = client.get(f"{URL}/999999", headers=bearer(mensa.key))
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json()["detail"].replace(str(made["id"]), "N") == missing.json()[
        "detail"
    ].replace("999999", "N")
    assert client.get(URL, headers=bearer(mensa.key)).json()["items"] == []


def test_a_revoked_integration_s_queued_message_is_not_sent(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:
    from appio_core.integrations.keys import revoke_integration

    made = make_integration()
    queued = client.post(URL, json=_body(), headers=_headers(made.key)).json()
    with sessions.begin() as session:
        revoke_integration(session, Actor.system(), made.name)
    _work(sessions, keybox)
    with sessions() as session:
        row = session.get(Notification, queued["id"])
        assert row is not None
        assert (row.outcome, row.send_started_at) == (Outcome.ERROR, None)
        assert "revocata" in (row.error_detail or "")
    assert _messages_to(citizen(Kind.WITH_IO)) == []


def test_the_archive_pages_with_a_cursor_stable_under_inserts(
    client: TestClient, make_integration: Callable[..., CreatedIntegration]
) -> None:
    made = make_integration()
    for n in range(5):
        body = _body(fiscal_code=citizen(Kind.WITH_IO, n))
        assert client.post(URL, json=body, headers=_headers(made.key, f"a{n}")).status_code == 202
    first = client.get(URL, params={"limit": 2}, headers=bearer(made.key)).json()
    # Two more arrive between the pages: they are newer, never on the next pages.
    for n in range(5, 7):
        body = _body(fiscal_code=citizen(Kind.WITH_IO, n))
        client.post(URL, json=body, headers=_headers(made.key, f"a{n}"))
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(URL, params={"limit": 2, "cursor": cursor}, headers=bearer(made.key))
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 5

    one = client.get(
        URL,
        params={"fiscal_code": citizen(Kind.WITH_IO, 2), "outcome": "da inviare"},
        headers=bearer(made.key),
    ).json()
    assert [i["fiscal_code"] for i in one["items"]] == [citizen(Kind.WITH_IO, 2)]
    bad = client.get(URL, params={"cursor": "x"}, headers=bearer(made.key))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    assert client.get(URL, params={"limit": 501}, headers=bearer(made.key)).status_code == 422


def test_a_saved_template_fills_the_message(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
    services: dict[str, int],
) -> None:
    fields = TemplateFields(
        subject_template="Promemoria TARI per {{nome}}",
        text_template=TEXT + " Gentile {{nome}}, grazie.",
    )
    with sessions.begin() as session:
        add_template(session, Actor.system(), services[TARI.name], "Promemoria", fields)
    made = make_integration()
    body = {
        "service_name": TARI.name,
        "fiscal_code": citizen(Kind.WITH_IO),
        "template": "Promemoria",
    }
    unfilled = client.post(URL, json=body, headers=_headers(made.key, "t1"))
    assert unfilled.status_code == 422
    assert {e["field"] for e in unfilled.json()["errors"]} == {"subject", "markdown"}
    filled = client.post(
        URL, json=body | {"values": {"Nome": "Maria"}}, headers=_headers(made.key, "t2")
    )
    assert filled.status_code == 202, filled.text
    assert filled.json()["subject"] == "Promemoria TARI per Maria"
    assert filled.json()["template"] == "Promemoria"
    shown = client.get(f"{URL}/{filled.json()['id']}", headers=bearer(made.key))
    assert shown.json() == filled.json()
    again = client.post(
        URL, json=body | {"values": {"Nome": "Maria"}}, headers=_headers(made.key, "t2")
    )
    assert (again.status_code, again.json()) == (200, filled.json())


@pytest.mark.parametrize("field", ["service_name", "service_id"])
def test_a_service_by_name_or_id(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    services: dict[str, int],
    field: str,
) -> None:
    made = make_integration()
    body = _body()
    del body["service_name"]
    body[field] = TARI.name if field == "service_name" else services[TARI.name]
    assert client.post(URL, json=body, headers=_headers(made.key)).status_code == 202
    both = _body(service_id=services[TARI.name])
    assert client.post(URL, json=both, headers=_headers(made.key, "2")).status_code == 422


@pytest.mark.parametrize("posted", [False, True], ids=["before the post", "after the post"])
def test_a_worker_that_dies_with_a_queued_message_never_sends_it_twice(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    posted: bool,
) -> None:
    made = make_integration()
    queued = client.post(URL, json=_body(), headers=_headers(made.key)).json()
    with sessions.begin() as session:  # a worker claims it, maybe posts it, and dies
        claimed = claim_queued(session, "morto", utcnow(), 10)
        assert [c.notification_id for c in claimed] == [queued["id"]]
        if posted:
            session.execute(
                update(Notification)
                .where(Notification.id == queued["id"])
                .values(send_started_at=utcnow())
            )
    with sessions.begin() as session:
        assert claim_queued(session, "altro", utcnow(), 10) == []  # claimed once
        later = utcnow() + INTERRUPTED_AFTER + timedelta(minutes=1)
        assert recover_interrupted(session, later) == 1
    _work(sessions, keybox)
    with sessions() as session:
        row = session.get(Notification, queued["id"])
        assert row is not None
        # Not posted: back in the queue and sent; maybe posted: «esito incerto», not resent.
        expected = Outcome.UNCERTAIN if posted else Outcome.ACCEPTED
        assert row.outcome == expected
    assert len(_messages_to(citizen(Kind.WITH_IO))) == (0 if posted else 1)


def test_a_message_from_a_known_key_is_four_statements_in_one_transaction(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
) -> None:
    """The speed of `POST /notifications` (bench/RESULTS-api.md): a key found valid a moment
    ago is not read again; the integration's validity and services, the service by name, the
    service, the row: one transaction."""
    from sqlalchemy import event

    made = make_integration()
    first = client.post(URL, json=_body(), headers=_headers(made.key, "prima"))
    assert first.status_code == 202
    engine = sessions.kw["bind"]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(" ".join(str(args[2]).split())[:60])

    event.listen(engine, "before_cursor_execute", count)
    try:
        body = _body(fiscal_code=citizen(Kind.WITH_IO, 3))
        second = client.post(URL, json=body, headers=_headers(made.key, "seconda"))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert second.status_code == 202
    assert len(statements) == 4, statements
    assert statements[-1].startswith("INSERT INTO notifications")
