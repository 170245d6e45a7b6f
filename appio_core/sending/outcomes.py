"""What IO's answer to a profile check or a send makes of a row.

A send that may have reached IO is «esito incerto», never retried; one that surely did not
(503, connection refused) goes back to «da inviare» with a growing delay, and ends
«errore», marked retryable, after the last attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from appio_core.domain import Outcome
from appio_core.io.client import IoClient
from appio_core.io.errors import (
    IoError,
    IoOutcomeUnknown,
    IoPermanentError,
    IoRetryableError,
    KeyRefused,
    ProfileNotFound,
)
from appio_core.io.models import ApiKeys, NewMessage
from appio_core.notifications.change import NotificationChange
from appio_core.notifications.single_exchange import SERVICE_BLOCKED_DETAIL
from appio_core.notifications.status import accepted_values
from appio_core.sending.config import DispatcherConfig
from appio_core.sending.store import Claimed, FlowWork

KEY_REFUSED_NOTE = (
    "Invio sospeso automaticamente: IO ha rifiutato le chiavi del servizio. Aggiorna la "
    "chiave nella pagina Servizi, poi riprendi l'invio."
)
INACTIVE_SERVICE_NOTE = (
    "Invio sospeso automaticamente: il servizio è stato disattivato. Riattivalo nella pagina"
    " Servizi, poi riprendi l'invio."
)
UNREADABLE_KEY_NOTE = (
    "Invio sospeso automaticamente: le chiavi del servizio non si possono decifrare con la"
    " chiave segreta dell'installazione (APPIO_SECRET_KEY è cambiata?). Ripristina la chiave"
    " segreta, oppure inserisci di nuovo le chiavi nella pagina Servizi, poi riprendi l'invio."
)


def final(outcome: Outcome, status: int | None, detail: str) -> NotificationChange:
    return NotificationChange(
        outcome=outcome, http_status=status, error_detail=detail, retryable=False
    )


def key_refused(exc: IoError) -> NotificationChange:
    """Every row would fail the same way: the row stays «da inviare», the flow is paused."""
    return NotificationChange(
        outcome=Outcome.PENDING,
        http_status=401,
        error_detail=exc.message,
        retryable=False,
        pause_flow=KEY_REFUSED_NOTE,
    )


class Rules:
    """The outcome rules that depend on the worker's settings and clock."""

    def __init__(self, config: DispatcherConfig, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.clock = clock

    def retry_later(
        self, done: int, exc: IoRetryableError, *, count_attempt: bool = False
    ) -> NotificationChange:
        """`done` attempts failed with a temporary error: wait and retry, or give up.

        `count_attempt`: store `done` as the row's attempts (a profile check's failure;
        a send's attempt was counted when its start was committed)."""
        if done >= self.config.max_attempts:
            change = NotificationChange(
                outcome=Outcome.ERROR,
                http_status=exc.status,
                error_detail=f"{exc.message} (dopo {done} tentativi)",
                retryable=True,
            )
        else:
            delay = max(exc.retry_after or 0.0, self.config.retry_delay(done))
            change = NotificationChange(
                outcome=Outcome.PENDING,
                http_status=exc.status,
                error_detail=exc.message,
                retryable=False,
                next_attempt_at=self.clock() + timedelta(seconds=delay),
            )
        return replace(change, attempts=done) if count_attempt else change

    async def check(
        self, client: IoClient, keys: ApiKeys, row: Claimed
    ) -> NotificationChange | None:
        """None when the citizen can receive the message; else the row's final change."""
        try:
            profile = await client.get_profile(keys, row.fiscal_code)
        except ProfileNotFound as exc:
            return final(Outcome.NOT_ON_IO, 404, exc.message)
        except KeyRefused as exc:
            return key_refused(exc)
        except IoPermanentError as exc:
            return final(Outcome.ERROR, exc.status, exc.message)
        except IoRetryableError as exc:
            return self.retry_later(row.attempts + 1, exc, count_attempt=True)
        if not profile.sender_allowed:
            return final(Outcome.SERVICE_BLOCKED, 200, SERVICE_BLOCKED_DETAIL)
        return None

    async def send(
        self, client: IoClient, keys: ApiKeys, flow: FlowWork, row: Claimed
    ) -> NotificationChange:
        message = NewMessage(
            fiscal_code=row.fiscal_code,
            subject=row.subject,
            markdown=row.markdown,
            amount=row.amount,
            notice_number=row.notice_number,
            invalid_after_due_date=row.invalid_after_due_date,
            due_date=row.due_date,
            feature_level_type=flow.feature_level,
        )
        attempts = row.attempts + 1  # counted when send_started_at was committed
        try:
            message_id = await client.send_message(keys, message)
        except IoOutcomeUnknown as exc:
            return final(Outcome.UNCERTAIN, exc.status, exc.message)
        except KeyRefused as exc:
            return _not_started(key_refused(exc))
        except IoPermanentError as exc:
            return final(Outcome.ERROR, exc.status, exc.message)
        except IoRetryableError as exc:
            # IO did not process it: safe to send again.
            return _not_started(self.retry_later(attempts, exc))
        return accepted_values(
            message_id, self.clock(), flow.status_check_hours, self.config.status_first_check
        )


def _not_started(change: NotificationChange) -> NotificationChange:
    """The send surely did not reach IO: the row may be sent again."""
    return replace(change, send_started_at=None)
