"""The webhook events' table, registered on the schema's `Base` and kept with its code,
and the words of its states and types."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from appio_core.storage.models import Base, EnumText, UTCDateTime
from appio_core.storage.partial_index import partial_index

EVENT_ID_LENGTH = 40


class DeliveryState(StrEnum):
    PENDING = "da consegnare"  # new, or waiting for its next attempt
    DELIVERED = "consegnato"  # the receiver answered 2xx
    FAILED = "fallito"  # 24 hours of attempts without a 2xx: «Reinvia» on the page


class EventType(StrEnum):
    ACCEPTED = "notification.accepted"
    NOT_ON_IO = "notification.not_on_io"
    SERVICE_DISABLED = "notification.service_disabled"
    ERROR = "notification.error"
    UNCERTAIN = "notification.uncertain"
    DELIVERED = "notification.delivered"
    READ = "notification.read"
    PAID = "notification.paid"
    FLOW_STATE = "flow.state_changed"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]

    @property
    def about_flow(self) -> bool:
        return self is EventType.FLOW_STATE


EVENT_LABELS: dict[EventType, str] = {
    EventType.ACCEPTED: "Notifica accettata da IO",
    EventType.NOT_ON_IO: "Cittadino non su IO",
    EventType.SERVICE_DISABLED: "Servizio disattivato dal cittadino",
    EventType.ERROR: "Notifica in errore",
    EventType.UNCERTAIN: "Notifica con esito incerto",
    EventType.DELIVERED: "Notifica consegnata",
    EventType.READ: "Notifica letta",
    EventType.PAID: "Avviso pagato",
    EventType.FLOW_STATE: "Stato del flusso cambiato",
}


class WebhookEvent(Base):
    """One event for one integration; written by the triggers, never by Python code."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        # The workers' claim: the events still to deliver, by their next attempt.
        partial_index("ix_webhook_events_due", "next_attempt_at", where="state = 'da consegnare'"),
        # The page's log: an integration's events, newest first.
        Index("ix_webhook_events_integration", "integration_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    integration_id: Mapped[int] = mapped_column(Integer)
    # The `webhook-id` header: made by the trigger, the same on every attempt, so that a
    # receiver can drop a repeated delivery.
    event_id: Mapped[str] = mapped_column(String(EVENT_ID_LENGTH), unique=True)
    type: Mapped[EventType] = mapped_column(EnumText(EventType, 40))
    subject_id: Mapped[int] = mapped_column(BigInteger)  # the notification's or flow's id
    data: Mapped[str] = mapped_column(Text)  # the payload's `data`, JSON, as of the change
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[DeliveryState] = mapped_column(EnumText(DeliveryState, 20))
    attempts: Mapped[int] = mapped_column(Integer)
    # NULL: due now (a new event: the trigger need not know the workers' clock).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # HTTP status
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)  # in Italian
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The worker delivering it, until when: a dead worker's events are due again then.
    leased_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # «Reinvia»: the 24 hours of attempts count again from then.
    redelivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    redelivered_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
