"""A notification's detail: labels in Italian, «Stato Mail», «Aggiorna stato» and history."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import FeatureLevel, Outcome
from appio_core.errors import Conflict, NotFound
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.notifications.detail import get_detail
from appio_core.notifications.labels import EMAIL_NOT_TOLD_LONG, NO_MESSAGE
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.notifications.status_refresh import refresh_status

from .conftest import citizen

Send = Callable[..., SingleResult]


def _processed_long_ago(result: SingleResult) -> None:
    """As if IO had finished with the message: the simulator's delay has passed."""
    stored = in_process_simulator().record.messages[str(result.io_message_id)]
    stored.accepted_at -= 3600


def test_a_sent_message_shows_its_facts_in_italian(
    send: Send, operator: Actor, message: NewNotification, session: Session
) -> None:
    result = send(operator, message, amount="12,50", notice_number="302000000000000001")
    detail = get_detail(session, operator, result.id)
    assert detail.is_single and detail.flow_name is None
    assert (detail.service_name, detail.created_by, detail.amount) == (
        "Tributi - TARI",
        "mrossi",
        1250,
    )
    assert detail.outcome_explained.startswith("IO ha accettato il messaggio")
    assert detail.io_status == "Non ancora letto da IO"
    # IO no longer says whether it e-mailed the citizen: say so, not a blank.
    assert detail.email_status == EMAIL_NOT_TOLD_LONG
    assert detail.read_status == "Solo per messaggi avanzati"


def test_a_message_that_never_reached_io_has_no_status_at_all(
    send: Send, operator: Actor, message: NewNotification, session: Session
) -> None:
    result = send(operator, message, fiscal_code=citizen(Kind.WITHOUT_IO))
    detail = get_detail(session, operator, result.id)
    assert (detail.io_status, detail.email_status, detail.payment_status) == (NO_MESSAGE,) * 3
    with pytest.raises(NotFound):
        get_detail(session, operator, 10_000)


def test_aggiorna_stato_reads_io_now_and_keeps_the_history(
    send: Send,
    operator: Actor,
    message: NewNotification,
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:
    result = send(
        operator,
        message,
        fiscal_code=citizen(Kind.WITH_IO, 6),
        feature_level=FeatureLevel.ADVANCED,
    )
    first = refresh_status(sessions, operator, result.id, keybox, "simulator")
    assert first.io_status == "Accettato, in elaborazione"
    _processed_long_ago(result)
    second = refresh_status(sessions, operator, result.id, keybox, "simulator")
    assert second.outcome == Outcome.DELIVERED
    assert second.io_status == "Consegnato nell'app"
    assert second.read_status in ("Letto", "Non ancora letto")
    assert [e.io_status for e in second.history] == [
        "Accettato, in elaborazione",
        "Consegnato nell'app",
    ]
    # Reading again with nothing new adds nothing to the history.
    third = refresh_status(sessions, operator, result.id, keybox, "simulator")
    assert len(third.history) == 2


def test_aggiorna_stato_needs_a_message_on_io(
    send: Send,
    operator: Actor,
    message: NewNotification,
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:
    result = send(operator, message, fiscal_code=citizen(Kind.BLOCKED))
    with pytest.raises(Conflict, match="non è arrivata a IO"):
        refresh_status(sessions, operator, result.id, keybox, "simulator")
