"""The values exchanged with App IO: what we send and the typed answers we read back."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from appio_core.domain import FeatureLevel

# The test citizen of IO: always an authorised recipient, even of a "limited" key.
TEST_FISCAL_CODE = "AAAAAA00A00A000A"
# IO's upper bound for a payment's amount, in euro cents.
IO_MAX_AMOUNT = 9_999_999_999


class MessageStatusValue(StrEnum):
    ACCEPTED = "ACCEPTED"
    THROTTLED = "THROTTLED"
    PROCESSED = "PROCESSED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


# IO stops working on a message once it reaches one of these.
FINAL_STATUSES = frozenset(
    {MessageStatusValue.PROCESSED, MessageStatusValue.REJECTED, MessageStatusValue.FAILED}
)


class NotificationStatus(StrEnum):
    SENT = "SENT"
    THROTTLED = "THROTTLED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"


class ReadStatus(StrEnum):
    UNAVAILABLE = "UNAVAILABLE"
    UNREAD = "UNREAD"
    READ = "READ"


class PaymentStatus(StrEnum):
    PAID = "PAID"
    NOT_PAID = "NOT_PAID"


@dataclass(frozen=True)
class ApiKeys:
    """A service's two subscription keys, in clear: IO accepts either (the client tries
    the secondary when the primary is refused)."""

    primary: str = field(repr=False)
    secondary: str | None = field(repr=False)


@dataclass(frozen=True)
class NewMessage:
    """One message for one citizen, as `POST /messages` takes it.

    `due_date` is an ISO-8601 UTC timestamp ("2026-12-31T23:59:59.000Z"). The payment
    notice is sent only when both `amount` (euro cents) and `notice_number` are given.
    """

    fiscal_code: str
    subject: str
    markdown: str
    amount: int | None = None
    notice_number: str | None = None
    invalid_after_due_date: bool = False
    due_date: str | None = None
    feature_level_type: FeatureLevel = FeatureLevel.STANDARD
    require_secure_channels: bool = False

    def to_json(self) -> dict[str, Any]:
        content: dict[str, Any] = {"subject": self.subject, "markdown": self.markdown}
        if self.due_date is not None:
            content["due_date"] = self.due_date
        if self.amount is not None or self.notice_number is not None:
            # `payee` is left out on purpose: it needs a special permission from PagoPA,
            # and without it IO uses the sending organisation as the payee.
            content["payment_data"] = {
                "amount": self.amount,
                "notice_number": self.notice_number,
                "invalid_after_due_date": self.invalid_after_due_date,
            }
        if self.require_secure_channels:
            content["require_secure_channels"] = True
        return {
            "fiscal_code": self.fiscal_code,
            "content": content,
            "feature_level_type": self.feature_level_type,
        }


@dataclass(frozen=True)
class Profile:
    """The answer of the profile check: may this service write to this citizen?"""

    sender_allowed: bool
    preferred_languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageStatus:
    """The state of a sent message.

    `email_notification` is None when IO does not say (it stopped returning the
    notification block in July 2026): show it as unknown. `read_status` and
    `payment_status` exist only for ADVANCED messages.
    """

    message_id: str
    status: MessageStatusValue
    feature_level_type: str = FeatureLevel.STANDARD.value  # as IO says it (it may add levels)
    created_at: str | None = None
    email_notification: NotificationStatus | None = None
    read_status: ReadStatus | None = None
    payment_status: PaymentStatus | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES
