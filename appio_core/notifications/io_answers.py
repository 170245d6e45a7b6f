"""What IO's answer to a profile check or a send makes of a notification: one mapping, for
the single send (single_exchange) and the dispatcher (appio_core.sending.outcomes).

Most answers mean the same whoever sends: not on IO, the service turned off by the citizen,
a permanent refusal with IO's reason, «esito incerto» when a send may have reached IO. Two
depend on who sends, and each sender says how through its `Senders` policy:
- a temporary failure (429 or 503 after the client's own retries, IO unreachable): a flow's
  row waits and is tried again; a single message ends «errore», to be sent again by hand;
- IO refusing the service's keys, or a permission PagoPA has not granted the service
  (appio_core.io.groups: premium messages, checking profiles, sending at all): a flow is
  paused (every row would fail the same way), with IO's refusal in Italian; a single message
  ends «errore» with it.
A send that failed in either way surely did not reach IO: its `send_started_at` is cleared,
so that the row may be sent again.

Only failures go through here: the dispatcher's per-row path on success is one attribute
test (`profile_refusal`) and `accepted_values`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final, Protocol

from appio_core.domain import Outcome
from appio_core.io.errors import (
    IoError,
    IoOutcomeUnknown,
    IoRetryableError,
    KeyRefused,
    MissingPermission,
    ProfileNotFound,
)
from appio_core.io.models import Profile
from appio_core.notifications.change import NotificationChange

SERVICE_BLOCKED_DETAIL = (
    "Il cittadino ha disattivato questo servizio su App IO: nessun messaggio inviato."
)


def final(outcome: Outcome, status: int | None, detail: str) -> NotificationChange:
    """A final outcome: the row is not sent again unless an operator decides so."""
    return NotificationChange(
        outcome=outcome, http_status=status, error_detail=detail, retryable=False
    )


# Frozen, so one value serves every row.
SERVICE_BLOCKED: Final = final(Outcome.SERVICE_BLOCKED, 200, SERVICE_BLOCKED_DETAIL)


class Senders(Protocol):
    """The two answers whose handling depends on who sends (see the module's docstring)."""

    def temporary(
        self, exc: IoRetryableError, attempts: int, *, checking: bool
    ) -> NotificationChange:
        """IO did not process the request; `attempts` counts this one, `checking` says
        whether it was the profile check (else the send)."""
        ...

    def key_refused(self, exc: KeyRefused) -> NotificationChange: ...

    def not_permitted(self, exc: MissingPermission) -> NotificationChange:
        """The service lacks a permission of PagoPA's: what to ask for is `exc.message`."""
        ...


def profile_refusal(profile: Profile) -> NotificationChange | None:
    """None when the citizen accepts the service's messages; else the row's final change."""
    return None if profile.sender_allowed else SERVICE_BLOCKED


def check_failed(exc: IoError, attempts: int, senders: Senders) -> NotificationChange:
    """A profile check that failed; `attempts` counts this one."""
    if isinstance(exc, ProfileNotFound):
        return final(Outcome.NOT_ON_IO, 404, exc.message)
    if isinstance(exc, KeyRefused):
        return senders.key_refused(exc)
    if isinstance(exc, MissingPermission):
        return senders.not_permitted(exc)
    if isinstance(exc, IoRetryableError):
        return senders.temporary(exc, attempts, checking=True)
    # Permanent, or an answer a check cannot have lost (IoOutcomeUnknown is a send's).
    return final(Outcome.ERROR, exc.status, exc.message)


def send_failed(exc: IoError, attempts: int, senders: Senders) -> NotificationChange:
    """A send that failed; `attempts` counts this one (committed with `send_started_at`)."""
    if isinstance(exc, IoOutcomeUnknown):
        # It may have reached IO: never sent again without an operator's decision.
        return final(Outcome.UNCERTAIN, exc.status, exc.message)
    if isinstance(exc, KeyRefused):
        return replace(senders.key_refused(exc), send_started_at=None)
    if isinstance(exc, MissingPermission):  # refused before IO created anything
        return replace(senders.not_permitted(exc), send_started_at=None)
    if isinstance(exc, IoRetryableError):
        return replace(senders.temporary(exc, attempts, checking=False), send_started_at=None)
    return final(Outcome.ERROR, exc.status, exc.message)
