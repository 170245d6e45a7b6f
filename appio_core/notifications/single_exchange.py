"""One single message's exchange with IO, in IO's order: the profile check, then the send,
as the change its row gets. `start_sending` commits `send_started_at` between the two, the
crash-safety point (appio_core.notifications.single). IO's answers mean what they mean for
a flow's rows (io_answers); only the two that depend on who sends are the single's own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from appio_core.accounts.io_access import ServiceAccess
from appio_core.domain import Outcome
from appio_core.io.client import IoClient
from appio_core.io.errors import IoError, IoRetryableError, KeyRefused, MissingPermission
from appio_core.io.models import NewMessage
from appio_core.notifications.change import NotificationChange
from appio_core.notifications.io_answers import (
    check_failed,
    final,
    profile_refusal,
    send_failed,
)
from appio_core.notifications.status import FIRST_STATUS_CHECK_SECONDS, accepted_values

# How long IO's status of a single message is followed, as for a flow by default.
SINGLE_STATUS_CHECK_HOURS = 48


class SingleSenders:
    """A single message is not retried by itself: the operator sees the failure at once."""

    def temporary(
        self, exc: IoRetryableError, attempts: int, *, checking: bool
    ) -> NotificationChange:
        detail = f"{exc.message} Nessun messaggio è partito: puoi inviarlo di nuovo dal dettaglio."
        return replace(final(Outcome.ERROR, exc.status, detail), retryable=True)

    def key_refused(self, exc: KeyRefused) -> NotificationChange:
        return final(Outcome.ERROR, exc.status, exc.message)

    def not_permitted(self, exc: MissingPermission) -> NotificationChange:
        return final(Outcome.ERROR, exc.status, exc.message)


SINGLE = SingleSenders()


async def exchange(
    client: IoClient,
    access: ServiceAccess,
    message: NewMessage,
    check_profile: bool,
    start_sending: Callable[[], bool],
    clock: Callable[[], datetime],
) -> NotificationChange | None:
    """Profile check (IO's guidance), then the send; None when the row is no longer ours."""
    keys = access.keys
    if check_profile:
        try:
            profile = await client.get_profile(keys, message.fiscal_code)
        except IoError as exc:
            return check_failed(exc, 1, SINGLE)
        if (refused := profile_refusal(profile)) is not None:
            return refused
    if not start_sending():
        return None
    try:
        message_id = await client.send_message(keys, message)
    except IoError as exc:
        return send_failed(exc, 1, SINGLE)
    return accepted_values(
        message_id, clock(), SINGLE_STATUS_CHECK_HOURS, FIRST_STATUS_CHECK_SECONDS
    )
