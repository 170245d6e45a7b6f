"""IO's answers mean the same for a single message and for a flow's row, in one mapping; only
a temporary failure and refused keys are handled by each sender in its own way."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from appio_core.domain import Outcome
from appio_core.io import groups
from appio_core.io.errors import (
    BadRequest,
    Forbidden,
    IoError,
    IoOutcomeUnknown,
    KeyRefused,
    MissingPermission,
    NetworkError,
    ProfileNotFound,
    RateLimited,
    RecipientForbidden,
    ServiceUnavailable,
    UnexpectedResponse,
)
from appio_core.io.models import Profile
from appio_core.notifications.change import KEEP, NotificationChange
from appio_core.notifications.io_answers import (
    SERVICE_BLOCKED_DETAIL,
    Senders,
    check_failed,
    profile_refusal,
    send_failed,
)
from appio_core.notifications.single_exchange import SINGLE
from appio_core.sending.config import DispatcherConfig
from appio_core.sending.outcomes import KEY_REFUSED_NOTE, Rules

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FLOW = Rules(DispatcherConfig(max_attempts=5, retry_delays=(10.0,)), lambda: NOW)
SENDERS: list[Senders] = [SINGLE, FLOW]
CORE = Path(__file__).resolve().parents[2] / "appio_core"


def _final(outcome: Outcome, status: int | None, detail: str) -> NotificationChange:
    return NotificationChange(
        outcome=outcome, http_status=status, error_detail=detail, retryable=False
    )


# Answers that mean the same whoever sends: (the error, the check's change, the send's).
SHARED: list[tuple[IoError, NotificationChange | None, NotificationChange | None]] = [
    (
        ProfileNotFound(),
        _final(Outcome.NOT_ON_IO, 404, ProfileNotFound().message),
        None,  # a send is never answered with it
    ),
    (
        BadRequest("Bad request", "subject too long"),
        _final(Outcome.ERROR, 400, BadRequest("Bad request", "subject too long").message),
        _final(Outcome.ERROR, 400, BadRequest("Bad request", "subject too long").message),
    ),
    (
        Forbidden(),
        _final(Outcome.ERROR, 403, Forbidden().message),
        _final(Outcome.ERROR, 403, Forbidden().message),
    ),
    (
        RecipientForbidden(),
        _final(Outcome.ERROR, 403, RecipientForbidden().message),
        _final(Outcome.ERROR, 403, RecipientForbidden().message),
    ),
    (
        UnexpectedResponse(418),
        _final(Outcome.ERROR, 418, UnexpectedResponse(418).message),
        _final(Outcome.ERROR, 418, UnexpectedResponse(418).message),
    ),
    (
        IoOutcomeUnknown(500),
        None,  # a check is never answered with it
        # It may have reached IO: send_started_at stays, the row is never resent blindly.
        _final(Outcome.UNCERTAIN, 500, IoOutcomeUnknown(500).message),
    ),
]


@pytest.mark.parametrize("senders", SENDERS, ids=["singola", "flusso"])
@pytest.mark.parametrize(
    ("error", "checked", "sent"), SHARED, ids=[type(e).__name__ for e, _, _ in SHARED]
)
def test_an_answer_of_io_means_the_same_for_a_single_message_and_a_flows_row(
    senders: Senders,
    error: IoError,
    checked: NotificationChange | None,
    sent: NotificationChange | None,
) -> None:
    if checked is not None:
        assert check_failed(error, 1, senders) == checked
    if sent is not None:
        assert send_failed(error, 1, senders) == sent


@pytest.mark.parametrize("senders", SENDERS, ids=["singola", "flusso"])
def test_a_citizen_who_turned_the_service_off_is_told_the_same_way(senders: Senders) -> None:
    assert profile_refusal(Profile(sender_allowed=True)) is None
    assert profile_refusal(Profile(sender_allowed=False)) == _final(
        Outcome.SERVICE_BLOCKED, 200, SERVICE_BLOCKED_DETAIL
    )


NOT_SENT = [KeyRefused(), ServiceUnavailable(503), RateLimited(), NetworkError("refused")]


@pytest.mark.parametrize("senders", SENDERS, ids=["singola", "flusso"])
@pytest.mark.parametrize("error", NOT_SENT, ids=[type(e).__name__ for e in NOT_SENT])
def test_a_send_that_surely_did_not_reach_io_may_be_sent_again_whoever_sent_it(
    senders: Senders, error: IoError
) -> None:
    assert send_failed(error, 1, senders).send_started_at is None
    assert check_failed(error, 1, senders).send_started_at is KEEP


def test_a_temporary_failure_is_retried_for_a_flow_and_left_to_the_operator_for_one_message() -> (
    None
):
    error = ServiceUnavailable(503, retry_after=60.0)  # longer than the jittered delay
    single = check_failed(error, 1, SINGLE)
    assert (single.outcome, single.http_status, single.retryable) == (Outcome.ERROR, 503, True)
    assert single.error_detail == (
        "IO non è disponibile in questo momento (codice 503): riprova più tardi. Nessun"
        " messaggio è partito: puoi inviarlo di nuovo dal dettaglio."
    )
    flow = check_failed(error, 1, FLOW)
    assert (flow.outcome, flow.attempts, flow.next_attempt_at) == (
        Outcome.PENDING,
        1,  # a check's attempt is counted with its outcome
        NOW + timedelta(seconds=60),
    )
    assert send_failed(error, 2, FLOW).attempts is KEEP  # a send's, when it started
    last = send_failed(error, 5, FLOW)
    assert (last.outcome, last.retryable, last.error_detail) == (
        Outcome.ERROR,
        True,
        f"{error.message} (dopo 5 tentativi)",
    )


def test_refused_keys_pause_a_flow_and_end_a_single_message_in_error() -> None:
    error = KeyRefused()
    assert check_failed(error, 1, SINGLE) == _final(Outcome.ERROR, 401, error.message)
    paused = check_failed(error, 1, FLOW)
    assert (paused.outcome, paused.pause_flow) == (Outcome.PENDING, KEY_REFUSED_NOTE)


def test_a_missing_permission_pauses_a_flow_and_ends_a_single_message_with_what_to_ask() -> None:
    error = MissingPermission(groups.ADVANCED.explanation, groups.ADVANCED.group)
    single = send_failed(error, 1, SINGLE)
    assert (single.outcome, single.http_status, single.error_detail, single.retryable) == (
        Outcome.ERROR,
        403,
        groups.ADVANCED.explanation,
        False,
    )
    for change in (send_failed(error, 1, FLOW), check_failed(error, 1, FLOW)):
        # The row keeps IO's refusal in Italian and waits: every row would be refused so.
        assert (change.outcome, change.http_status, change.error_detail) == (
            Outcome.PENDING,
            403,
            groups.ADVANCED.explanation,
        )
        assert change.pause_flow == (
            f"Invio sospeso automaticamente. {groups.ADVANCED.explanation} Poi riprendi l'invio."
        )
    # Refused before IO created anything: the row may be sent again once PagoPA grants it.
    assert send_failed(error, 1, FLOW).send_started_at is None
    assert check_failed(error, 1, SINGLE).outcome == Outcome.ERROR


def _imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.update(alias.name for alias in node.names)
    return names


def test_io_errors_become_outcomes_in_one_module() -> None:
    """A module that knows both the outcomes and IO's kinds of failure maps one to the other:
    only io_answers may."""
    kinds = {"ProfileNotFound", "IoOutcomeUnknown", "IoPermanentError"}
    mappers = sorted(
        str(path.relative_to(CORE))
        for package in ("notifications", "sending", "flows")
        for path in (CORE / package).glob("*.py")
        if "Outcome" in (names := _imported_names(path)) and names & kinds
    )
    assert mappers == ["notifications/io_answers.py"]
