"""What IO's answer to a profile check or a send makes of a flow's row: the mapping shared
with the single send (appio_core.notifications.io_answers), and the flow's own handling of
the two answers that depend on who sends.

A send that may have reached IO is «esito incerto», never retried; one that surely did not
(503, connection refused) goes back to «da inviare» with a growing delay, and ends
«errore», marked retryable, after the last attempt. Refused keys, and a permission PagoPA
has not granted the service, pause the flow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from appio_core.content import cta
from appio_core.domain import Outcome
from appio_core.io.client import IoClient
from appio_core.io.errors import IoError, IoRetryableError
from appio_core.io.models import ApiKeys, NewMessage
from appio_core.notifications.change import NotificationChange
from appio_core.notifications.io_answers import check_failed, profile_refusal, send_failed
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


def key_refused(exc: IoError) -> NotificationChange:
    """Every row would fail the same way: the row stays «da inviare», the flow is paused."""
    return NotificationChange(
        outcome=Outcome.PENDING,
        http_status=401,
        error_detail=exc.message,
        retryable=False,
        pause_flow=KEY_REFUSED_NOTE,
    )


def not_permitted(exc: IoError) -> NotificationChange:
    """A permission PagoPA has not granted the service: every row would be refused the same
    way, so the row stays «da inviare» with IO's refusal in Italian, and the flow is paused."""
    return NotificationChange(
        outcome=Outcome.PENDING,
        http_status=exc.status,
        error_detail=exc.message,
        retryable=False,
        pause_flow=f"Invio sospeso automaticamente. {exc.message} Poi riprendi l'invio.",
    )


class Rules:
    """The outcome rules that depend on the worker's settings and clock; the flow's
    `Senders` policy for io_answers."""

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

    def temporary(
        self, exc: IoRetryableError, attempts: int, *, checking: bool
    ) -> NotificationChange:
        # A check's attempt is stored with its outcome; a send's was counted with its start.
        return self.retry_later(attempts, exc, count_attempt=checking)

    def key_refused(self, exc: IoError) -> NotificationChange:
        return key_refused(exc)

    def not_permitted(self, exc: IoError) -> NotificationChange:
        return not_permitted(exc)

    async def check(
        self, client: IoClient, keys: ApiKeys, row: Claimed
    ) -> NotificationChange | None:
        """None when the citizen can receive the message; else the row's change."""
        try:
            profile = await client.get_profile(keys, row.fiscal_code)
        except IoError as exc:
            return check_failed(exc, row.attempts + 1, self)
        return profile_refusal(profile)

    async def send(
        self, client: IoClient, keys: ApiKeys, flow: FlowWork, row: Claimed
    ) -> NotificationChange:
        message = NewMessage(
            fiscal_code=row.fiscal_code,
            subject=row.subject,
            markdown=cta.with_front_matter(flow.buttons, row.markdown),
            amount=row.amount,
            notice_number=row.notice_number,
            invalid_after_due_date=row.invalid_after_due_date,
            due_date=row.due_date,
            feature_level_type=flow.feature_level,
            require_secure_channels=flow.secure_channel,
        )
        try:
            message_id = await client.send_message(keys, message)
        except IoError as exc:
            # The attempt was counted when send_started_at was committed.
            return send_failed(exc, row.attempts + 1, self)
        return accepted_values(
            message_id, self.clock(), flow.status_check_hours, self.config.status_first_check
        )
