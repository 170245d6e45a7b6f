"""IO's status of a sent message: what a read changes on the row, when to read again, and
the history of changes. Shared by the dispatcher's background reads and «Aggiorna stato».
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session

from appio_core.domain import FeatureLevel, Outcome
from appio_core.io.models import MessageStatus, MessageStatusValue
from appio_core.notifications.change import KEEP, NotificationChange
from appio_core.storage.models import NotificationStatusEvent

STATUS_FIELDS = ("io_status", "email_status", "read_status", "payment_status")
# The first read of a new message's status (APPIO_STATUS_FIRST_CHECK_SECONDS for the worker).
FIRST_STATUS_CHECK_SECONDS = 30.0

# A final status of IO moves an accepted message to this outcome.
STATUS_OUTCOMES: dict[MessageStatusValue, Outcome] = {
    MessageStatusValue.PROCESSED: Outcome.DELIVERED,
    MessageStatusValue.REJECTED: Outcome.REJECTED,
    MessageStatusValue.FAILED: Outcome.ERROR,
}
STATUS_OUTCOME_DETAILS: dict[Outcome, str] = {
    Outcome.REJECTED: (
        "IO ha respinto il messaggio: il cittadino non può riceverlo da questo servizio."
    ),
    Outcome.ERROR: "IO non è riuscito a consegnare il messaggio.",
}


class SentMessage(Protocol):
    """What a status read needs to know of a notification (a row or a query result)."""

    @property
    def outcome(self) -> Outcome: ...
    @property
    def feature_level(self) -> FeatureLevel: ...
    @property
    def sent_at(self) -> datetime | None: ...
    @property
    def status_check_until(self) -> datetime | None: ...


def accepted_values(
    message_id: str, now: datetime, check_hours: int, first_check_seconds: float
) -> NotificationChange:
    """The row's values once IO accepted the message, status reads scheduled."""
    follow = check_hours > 0
    return NotificationChange(
        outcome=Outcome.ACCEPTED,
        io_message_id=message_id,
        http_status=201,
        error_detail=None,
        retryable=False,
        sent_at=now,
        next_status_check_at=now + timedelta(seconds=first_check_seconds) if follow else None,
        status_check_until=now + timedelta(hours=check_hours) if follow else None,
    )


def next_check(
    row: SentMessage, now: datetime, min_interval: float, final: bool
) -> datetime | None:
    """When to read the status again: often at first, then a quarter of the message's age,
    never past `status_check_until`; None when IO's status is final or the window closed."""
    if final or row.sent_at is None:
        return None
    age = (now - row.sent_at).total_seconds()
    wait = max(min_interval, age / 4)
    later = now + timedelta(seconds=wait)
    if row.status_check_until is None or later > row.status_check_until:
        return None
    return later


def unread_values(row: SentMessage, now: datetime, min_interval: float) -> NotificationChange:
    """The status could not be read (IO may answer 404 before processing): try later."""
    return NotificationChange(
        status_checked_at=now,
        next_status_check_at=next_check(row, now, min_interval, final=False),
    )


def status_values(
    row: SentMessage, status: MessageStatus, now: datetime, min_interval: float
) -> NotificationChange:
    """The row's values after a successful read of IO's status."""
    # A final status of IO moves an accepted message on (never one with another outcome).
    outcome = STATUS_OUTCOMES.get(status.status) if row.outcome == Outcome.ACCEPTED else None
    # ADVANCED messages keep being read for their read and payment status.
    final = status.is_final and row.feature_level != FeatureLevel.ADVANCED
    return NotificationChange(
        status_checked_at=now,
        io_status=status.status.value,
        email_status=status.email_notification.value if status.email_notification else None,
        read_status=status.read_status.value if status.read_status else None,
        payment_status=status.payment_status.value if status.payment_status else None,
        outcome=KEEP if outcome is None else outcome,
        error_detail=KEEP if outcome is None else STATUS_OUTCOME_DETAILS.get(outcome, KEEP),
        next_status_check_at=next_check(row, now, min_interval, final=final),
    )


def record_status_changes(
    session: Session, before: Sequence[Any], after: Sequence[NotificationChange]
) -> int:
    """Adds a history event for each row whose status fields changed; returns how many.

    `before` rows have `id` and the STATUS_FIELDS as they were; `after` holds the changes
    written, in the same order (reads that found nothing change no status field)."""
    events = []
    for row, change in zip(before, after, strict=True):
        if change.io_status is KEEP:
            continue
        values = {name: getattr(change, name) for name in STATUS_FIELDS}
        if any(values[name] != getattr(row, name) for name in STATUS_FIELDS):
            events.append({"notification_id": row.id, "at": change.status_checked_at, **values})
    if events:
        session.execute(insert(NotificationStatusEvent), events)
    return len(events)
