"""«Nuovo» and `appio notification send`: checked before IO, registered, sent exactly once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import FeatureLevel, FlowState, Outcome
from appio_core.errors import Conflict
from appio_core.flows import actions
from appio_core.io import groups
from appio_core.io.client import IoClient
from appio_core.io.http import HttpxIo, in_process_simulator
from appio_core.io.simulator import Faults, Kind
from appio_core.notifications import interrupted, single, single_send
from appio_core.notifications.content import (
    AMOUNT,
    DUE_DATE,
    FISCAL_CODE,
    NOTICE_NUMBER,
    SUBJECT,
    TEXT,
    FieldErrors,
    check_content,
)
from appio_core.notifications.interrupted import recover_interrupted
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.storage.models import Notification, Service, utcnow

from ..flows.conftest import fiscal_codes, imported_flow
from .conftest import MENSA, citizen

Send = Callable[..., SingleResult]
EMOJI = "\U0001f600"  # two UTF-16 units: IO counts it twice


def _messages_to(fiscal_code: str) -> list[str]:
    return in_process_simulator().record.sends_by_fiscal_code().get(fiscal_code, [])


@pytest.fixture
def faults() -> Iterator[Callable[[Faults], None]]:
    simulator = in_process_simulator()
    before = simulator.faults
    yield simulator.set_faults
    simulator.set_faults(before)


def test_a_citizen_on_io_gets_the_message_and_the_row_records_it(
    send: Send, operator: Actor, message: NewNotification, sessions: sessionmaker[Session]
) -> None:
    result = send(operator, message)
    assert (result.outcome, result.http_status, result.repeated) == (Outcome.ACCEPTED, 201, False)
    assert _messages_to(message.fiscal_code) == [result.io_message_id]
    with sessions() as session:
        row = session.get(Notification, result.id)
        assert row is not None
        assert (row.flow_id, row.service_id, row.created_by) == (None, message.service_id, "mrossi")
        assert (row.subject, row.markdown, row.attempts) == (message.subject, message.text, 1)
        assert row.sent_at is not None and row.send_started_at is not None
        # The same status follow-up as a flow's rows: first read soon, for 48 hours.
        assert row.next_status_check_at is not None
        assert row.status_check_until == row.sent_at + timedelta(hours=48)


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [(Kind.WITHOUT_IO, Outcome.NOT_ON_IO), (Kind.BLOCKED, Outcome.SERVICE_BLOCKED)],
)
def test_a_citizen_who_cannot_receive_it_gets_nothing_and_the_operator_is_told(
    send: Send, operator: Actor, message: NewNotification, kind: Kind, outcome: Outcome
) -> None:
    code = citizen(kind)
    result = send(operator, message, fiscal_code=code)
    assert (result.outcome, result.io_message_id) == (outcome, None)
    assert result.detail
    assert _messages_to(code) == []


def test_aggiungi_twice_on_the_same_form_sends_once(
    send: Send, operator: Actor, message: NewNotification, sessions: sessionmaker[Session]
) -> None:
    code = citizen(Kind.WITH_IO, 1)
    first = send(operator, message, fiscal_code=code, request_key="form-1")
    second = send(operator, message, fiscal_code=code, request_key="form-1")
    assert (second.id, second.io_message_id, second.repeated) == (
        first.id,
        first.io_message_id,
        True,
    )
    assert len(_messages_to(code)) == 1
    with sessions() as session:
        rows = session.scalars(select(Notification).where(Notification.fiscal_code == code))
        assert len(list(rows)) == 1


def test_bad_input_is_refused_field_by_field_before_any_call_to_io(
    send: Send, operator: Actor, message: NewNotification, sessions: sessionmaker[Session]
) -> None:
    requests = len(in_process_simulator().record.requests)
    with pytest.raises(FieldErrors) as refused:
        send(
            operator,
            message,
            fiscal_code="RSSMRA80A01H501X",
            subject="Avviso",
            text="Troppo corto.",
            amount="12,345",
            due_date="31/02/2027",
        )
    expected = {FISCAL_CODE, SUBJECT, TEXT, AMOUNT, NOTICE_NUMBER, DUE_DATE}
    assert set(refused.value.fields) == expected
    assert refused.value.fields[SUBJECT] == (
        "L'oggetto è troppo corto: ha 6 caratteri, ne servono almeno 10."
    )
    assert "carattere di controllo" in refused.value.fields[FISCAL_CODE]
    assert len(in_process_simulator().record.requests) == requests
    with sessions() as session:
        assert session.scalar(select(Notification.id)) is None


# Lengths as IO counts them: UTF-16 units, so an emoji counts twice.
SUBJECTS = [
    ("x" * 9, False),
    ("x" * 10, True),
    ("x" * 120, True),
    ("x" * 121, False),
    ("x" * 118 + EMOJI, True),  # 120 units
    ("x" * 119 + EMOJI, False),  # 121 units
]
TEXTS = [
    ("y" * 119, False),
    ("y" * 120, True),
    ("y" * 10_000, True),
    ("y" * 10_001, False),
    ("y" * 9_998 + EMOJI, True),
    ("y" * 9_999 + EMOJI, False),
]


@pytest.mark.parametrize(("subject", "valid"), SUBJECTS, ids=[f"{len(s)}" for s, _ in SUBJECTS])
def test_the_subject_has_10_to_120_characters_as_io_counts_them(subject: str, valid: bool) -> None:
    def check() -> object:
        return check_content(fiscal_code="AAAAAA00A00A000A", subject=subject, text="y" * 200)

    if valid:
        check()
    else:
        with pytest.raises(FieldErrors) as refused:
            check()
        assert set(refused.value.fields) == {SUBJECT}


@pytest.mark.parametrize(("text", "valid"), TEXTS, ids=[f"{len(t)}" for t, _ in TEXTS])
def test_the_text_has_120_to_10000_characters_as_io_counts_them(text: str, valid: bool) -> None:
    def check() -> object:
        return check_content(fiscal_code="AAAAAA00A00A000A", subject="x" * 20, text=text)

    if valid:
        check()
    else:
        with pytest.raises(FieldErrors) as refused:
            check()
        assert set(refused.value.fields) == {TEXT}


def test_payment_data_in_italian_form_reaches_io_in_its_own_form(
    send: Send, operator: Actor, message: NewNotification
) -> None:
    result = send(
        operator,
        message,
        fiscal_code=citizen(Kind.WITH_IO, 2),
        amount="1.234,56",
        notice_number="3020 0000 0000 0000 01",
        due_date="31/12/2026 18:00",
        feature_level=FeatureLevel.ADVANCED,
    )
    stored = in_process_simulator().record.messages[str(result.io_message_id)]
    assert stored.content["payment_data"]["amount"] == 123456
    assert stored.content["payment_data"]["notice_number"] == "302000000000000001"
    assert stored.content["due_date"] == "2026-12-31T17:00:00.000Z"
    assert stored.feature_level_type == "ADVANCED"


def test_a_premium_message_the_service_may_not_send_says_what_to_ask_pagopa(
    send: Send, operator: Actor, message: NewNotification, services: dict[str, int]
) -> None:
    """Issue 16: the demo's Mensa lacks PagoPA's permission for premium (ADVANCED) messages."""
    code = citizen(Kind.WITH_IO, 3)
    result = send(
        operator,
        message,
        service_id=services[MENSA.name],
        fiscal_code=code,
        feature_level=FeatureLevel.ADVANCED,
    )
    assert (result.outcome, result.http_status) == (Outcome.ERROR, 403)
    assert result.detail == groups.ADVANCED.explanation
    assert "chiedi a PagoPA" in (result.detail or "")
    assert _messages_to(code) == []


def test_an_amount_above_the_services_maximum_is_refused(
    send: Send, operator: Actor, message: NewNotification, services: dict[str, int]
) -> None:
    with pytest.raises(FieldErrors) as refused:
        send(
            operator,
            message,
            service_id=services[MENSA.name],
            amount="500,01",
            notice_number="302000000000000001",
        )
    assert refused.value.fields == {
        AMOUNT: "L'importo supera il massimo consentito per il servizio (€ 500,00)."
    }


def test_io_s_test_citizen_is_a_valid_recipient(
    send: Send, operator: Actor, message: NewNotification
) -> None:
    assert send(operator, message, fiscal_code="aaaaaa00a00a000a").outcome == Outcome.ACCEPTED


def test_a_deactivated_service_sends_nothing(
    send: Send, operator: Actor, message: NewNotification, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.execute(update(Service).values(active=False))
    with pytest.raises(Conflict, match="disattivato"):
        send(operator, message)


def test_io_unavailable_ends_in_a_retryable_error_that_can_be_sent_again(
    send: Send,
    operator: Actor,
    message: NewNotification,
    faults: Callable[[Faults], None],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:
    code = citizen(Kind.WITH_IO, 3)
    faults(Faults(error_503_rate=1.0))
    failed = send(operator, message, fiscal_code=code, check_profile=False)
    assert (failed.outcome, failed.http_status) == (Outcome.ERROR, 503)
    assert "puoi inviarlo di nuovo" in str(failed.detail)
    faults(Faults())
    again = single.resend(sessions, operator, failed.id, keybox, "simulator")
    assert (again.id, again.outcome) == (failed.id, Outcome.ACCEPTED)
    assert _messages_to(code) == [again.io_message_id]
    with pytest.raises(Conflict):
        single.resend(sessions, operator, failed.id, keybox, "simulator")


def test_an_answer_lost_after_the_post_is_uncertain_and_the_operator_decides(
    send: Send,
    operator: Actor,
    message: NewNotification,
    faults: Callable[[Faults], None],
    sessions: sessionmaker[Session],
) -> None:
    faults(Faults(error_500_rate=1.0))
    result = send(operator, message, fiscal_code=citizen(Kind.WITH_IO, 4), check_profile=False)
    assert result.outcome == Outcome.UNCERTAIN
    with sessions.begin() as session:
        single.mark_sent(session, operator, result.id)
    with sessions() as session:
        row = session.get(Notification, result.id)
        assert row is not None and row.outcome == Outcome.ACCEPTED
        assert row.error_detail == "Segnata come inviata da mrossi."


def test_segna_come_inviato_closes_an_uncertain_message_of_a_deactivated_service_as_a_flows(
    send: Send,
    operator: Actor,
    message: NewNotification,
    faults: Callable[[Faults], None],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:
    """One rule for «Segna come inviato», single or in a flow: it sends nothing, so a
    deactivated service does not stop it; what would send again waits for the service."""
    faults(Faults(error_500_rate=1.0))
    marked, kept = (
        send(operator, message, fiscal_code=citizen(Kind.WITH_IO, i), check_profile=False).id
        for i in (30, 31)
    )
    faults(Faults())
    with sessions.begin() as session:
        flow = imported_flow(session, operator, message.service_id, fiscal_codes(2, seed=3))
        first, second = session.scalars(
            select(Notification.id).where(Notification.flow_id == flow.id).order_by(Notification.id)
        )
        session.execute(
            update(Notification).where(Notification.id == first).values(outcome=Outcome.UNCERTAIN)
        )
        session.execute(
            update(Notification).where(Notification.id == second).values(outcome=Outcome.ACCEPTED)
        )
        flow.state = FlowState.SENDING
        session.execute(
            update(Service).where(Service.id == message.service_id).values(active=False)
        )
    with sessions.begin() as session:
        single.mark_sent(session, operator, marked)
        assert actions.mark_uncertain_sent(session, operator, flow.id, [first]) == 1
    with sessions() as session:
        outcomes = session.scalars(
            select(Notification.outcome).where(Notification.id.in_([marked, first]))
        )
        assert list(outcomes) == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    with pytest.raises(Conflict, match="è disattivato: riattivalo per usarlo"):
        single.resend(sessions, operator, kept, keybox, "simulator")


def test_a_send_interrupted_by_a_crash_is_recovered_without_sending_again(
    send: Send, operator: Actor, message: NewNotification, sessions: sessionmaker[Session]
) -> None:
    long_ago = utcnow() - timedelta(minutes=10)
    with sessions.begin() as session:
        rows = [
            Notification(
                service_id=message.service_id,
                created_by="mrossi",
                fiscal_code=citizen(Kind.WITH_IO, 5 + i),
                subject=message.subject,
                markdown=message.text,
                outcome=Outcome.SENDING,
                send_started_at=started,
                updated_at=updated,
            )
            for i, (started, updated) in enumerate(
                [(long_ago, long_ago), (None, long_ago), (utcnow(), utcnow())]
            )
        ]
        session.add_all(rows)
    with sessions.begin() as session:
        assert recover_interrupted(session) == 2
    with sessions() as session:
        outcomes = [session.get(Notification, r.id).outcome for r in rows]  # type: ignore[union-attr]
        retryable = session.get(Notification, rows[1].id).retryable  # type: ignore[union-attr]
    # Posted: maybe received (the operator decides); not posted: surely safe to send again;
    # a send in progress right now: left alone.
    assert outcomes == [Outcome.UNCERTAIN, Outcome.ERROR, Outcome.SENDING]
    assert retryable is True


class _Meanwhile(httpx.AsyncBaseTransport):
    """The in-process simulator, with `decide` run as the message's POST arrives: what
    happens to the row while IO takes its time to answer."""

    def __init__(self, decide: Callable[[], None]) -> None:
        self.simulator = httpx.ASGITransport(app=in_process_simulator())
        self.decide = decide

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/messages"):
            self.decide()
        return await self.simulator.handle_async_request(request)


# While IO took longer than INTERRUPTED_AFTER to answer: what the row became, and so what
# it must still show once the answer (IO accepted the message) comes back.
LATE_ANSWERS = [
    ("recovered as interrupted", False, Outcome.UNCERTAIN, interrupted.INTERRUPTED_AFTER_POST),
    ("recovered, then marked as sent", True, Outcome.ACCEPTED, "Segnata come inviata da mrossi."),
]


@pytest.mark.parametrize(
    ("case", "marked", "outcome", "detail"), LATE_ANSWERS, ids=[c[0] for c in LATE_ANSWERS]
)
def test_an_answer_that_comes_after_the_row_was_recovered_does_not_overwrite_it(
    send: Send,
    operator: Actor,
    message: NewNotification,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    marked: bool,
    outcome: Outcome,
    detail: str,
) -> None:
    def decide() -> None:
        with sessions.begin() as session:
            later = utcnow() + interrupted.INTERRUPTED_AFTER + timedelta(minutes=1)
            assert interrupted.recover_interrupted(session, later) == 1
        if marked:
            with sessions.begin() as session:
                (row_id,) = session.scalars(
                    select(Notification.id).where(Notification.outcome == Outcome.UNCERTAIN)
                )
                single.mark_sent(session, operator, row_id)

    monkeypatch.setattr(
        single_send,
        "make_io_client",
        lambda base_url, limiter: IoClient(
            base_url, HttpxIo(httpx.AsyncClient(transport=_Meanwhile(decide))), limiter
        ),
    )
    code = citizen(Kind.WITH_IO, 9)
    result = send(operator, message, fiscal_code=code, check_profile=False)

    assert _messages_to(code) != []  # IO did accept it, late
    assert (result.outcome, result.io_message_id, result.detail) == (outcome, None, detail)
    with sessions() as session:
        row = session.get(Notification, result.id)
        assert row is not None
        assert (row.outcome, row.io_message_id, row.error_detail) == (outcome, None, detail)
