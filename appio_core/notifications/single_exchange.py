"""One single message's exchange with IO, in IO's order: the profile check, then the send,
as the columns its row gets. `start_sending` commits `send_started_at` between the two, the
crash-safety point (appio_core.notifications.single)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from appio_core.accounts.io_access import ServiceAccess
from appio_core.domain import Outcome
from appio_core.io.client import IoClient
from appio_core.io.errors import (
    IoOutcomeUnknown,
    IoPermanentError,
    IoRetryableError,
    KeyRefused,
    ProfileNotFound,
)
from appio_core.io.models import NewMessage, Profile
from appio_core.notifications.status import FIRST_STATUS_CHECK_SECONDS, accepted_values

# How long IO's status of a single message is followed, as for a flow by default.
SINGLE_STATUS_CHECK_HOURS = 48

SERVICE_BLOCKED_DETAIL = (
    "Il cittadino ha disattivato questo servizio su App IO: nessun messaggio inviato."
)


@dataclass
class SendValues:
    """The columns a send sets on the row, by step."""

    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def final(cls, outcome: Outcome, status: int | None, detail: str, **extra: Any) -> SendValues:
        return cls(
            {
                "outcome": outcome,
                "http_status": status,
                "error_detail": detail,
                "retryable": False,
                **extra,
            }
        )


async def exchange(
    client: IoClient,
    access: ServiceAccess,
    message: NewMessage,
    check_profile: bool,
    start_sending: Callable[[], bool],
    clock: Callable[[], datetime],
) -> SendValues | None:
    """Profile check (IO's guidance), then the send; None when the row is no longer ours."""
    keys = access.keys
    if check_profile:
        try:
            profile: Profile = await client.get_profile(keys, message.fiscal_code)
        except ProfileNotFound as exc:
            return SendValues.final(Outcome.NOT_ON_IO, 404, exc.message)
        except IoPermanentError as exc:
            return SendValues.final(Outcome.ERROR, exc.status, exc.message)
        except IoRetryableError as exc:
            return SendValues.final(Outcome.ERROR, exc.status, _try_later(exc), retryable=True)
        if not profile.sender_allowed:
            return SendValues.final(Outcome.SERVICE_BLOCKED, 200, SERVICE_BLOCKED_DETAIL)
    if not start_sending():
        return None
    try:
        message_id = await client.send_message(keys, message)
    except IoOutcomeUnknown as exc:
        return SendValues.final(Outcome.UNCERTAIN, exc.status, exc.message)
    except KeyRefused as exc:
        return SendValues.final(Outcome.ERROR, exc.status, exc.message, send_started_at=None)
    except IoPermanentError as exc:
        return SendValues.final(Outcome.ERROR, exc.status, exc.message)
    except IoRetryableError as exc:
        # IO did not process it: safe to send again.
        return SendValues.final(
            Outcome.ERROR, exc.status, _try_later(exc), retryable=True, send_started_at=None
        )
    accepted = accepted_values(
        message_id, clock(), SINGLE_STATUS_CHECK_HOURS, FIRST_STATUS_CHECK_SECONDS
    )
    return SendValues(accepted.columns())


def _try_later(exc: IoRetryableError) -> str:
    return f"{exc.message} Nessun messaggio è partito: puoi inviarlo di nuovo dal dettaglio."
