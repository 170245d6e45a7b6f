"""What one step of sending, or one read of IO's status, changes on a notification row."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from typing import Any, Final, Literal

from appio_core.domain import Outcome


class _Keep(Enum):
    KEEP = "keep"


# A column left as it is (None would write NULL).
KEEP: Final = _Keep.KEEP
Keep = Literal[_Keep.KEEP]


@dataclass(frozen=True, slots=True)
class NotificationChange:
    """The new values of a row's columns; those left KEEP are not written.

    `pause_flow` is not a column: set when IO refused the service's keys, it is the note
    with which the flow is paused (every other row would fail the same way)."""

    outcome: Outcome | Keep = KEEP
    http_status: int | Keep | None = KEEP
    error_detail: str | Keep | None = KEEP
    retryable: bool | Keep = KEEP
    attempts: int | Keep = KEEP
    next_attempt_at: datetime | Keep | None = KEEP
    send_started_at: datetime | Keep | None = KEEP
    io_message_id: str | Keep = KEEP
    sent_at: datetime | Keep = KEEP
    status_checked_at: datetime | Keep = KEEP
    next_status_check_at: datetime | Keep | None = KEEP
    status_check_until: datetime | Keep | None = KEEP
    io_status: str | Keep = KEEP
    email_status: str | Keep | None = KEEP
    read_status: str | Keep | None = KEEP
    payment_status: str | Keep | None = KEEP
    pause_flow: str | None = None

    def columns(self) -> dict[str, Any]:
        """The columns to write, with their values."""
        return {name: value for name in COLUMNS if (value := getattr(self, name)) is not KEEP}


COLUMNS: Final = tuple(f.name for f in fields(NotificationChange) if f.name != "pause_flow")
