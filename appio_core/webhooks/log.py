"""The delivery log of an integration's webhooks, for its page, and «Reinvia» of a failed
event. Administrators only, as the integrations themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, require_admin
from appio_core.audit import AuditAction, record
from appio_core.errors import InvalidInput, NotFound
from appio_core.integrations.models import Integration
from appio_core.storage.models import utcnow

from .models import DeliveryState, EventType, WebhookEvent

LOG_LIMIT = 1000


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    event_id: str  # the `webhook-id` the receiver got
    type: EventType
    type_label: str  # in Italian
    subject: str  # «notifica n. 12», «flusso n. 3»
    subject_id: int
    state: DeliveryState
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    redelivered_by: str | None

    @property
    def redeliverable(self) -> bool:
        return self.state is DeliveryState.FAILED


def _subject(event_type: EventType, subject_id: int) -> str:
    return f"flusso n. {subject_id}" if event_type.about_flow else f"notifica n. {subject_id}"


def delivery_log(
    session: Session, actor: Actor, integration_id: int, limit: int = 100
) -> list[DeliveryRow]:
    """The integration's events, newest first."""
    require_admin(session, actor, "vedere i webhook di un'integrazione")
    if session.get(Integration, integration_id) is None:
        raise NotFound(f"Nessuna integrazione n. {integration_id}.")
    events = session.scalars(
        select(WebhookEvent)
        .where(WebhookEvent.integration_id == integration_id)
        .order_by(WebhookEvent.id.desc())
        .limit(max(1, min(limit, LOG_LIMIT)))
    )
    return [
        DeliveryRow(
            id=e.id,
            event_id=e.event_id,
            type=e.type,
            type_label=e.type.label,
            subject=_subject(e.type, e.subject_id),
            subject_id=e.subject_id,
            state=e.state,
            attempts=e.attempts,
            last_status=e.last_status,
            last_error=e.last_error,
            created_at=e.created_at,
            last_attempt_at=e.last_attempt_at,
            next_attempt_at=e.next_attempt_at,
            delivered_at=e.delivered_at,
            redelivered_by=e.redelivered_by,
        )
        for e in events
    ]


def redeliver(session: Session, actor: Actor, event_id: str) -> None:
    """«Reinvia»: a failed event is due again at once, with its attempts counted afresh
    and 24 more hours of them; the same `webhook-id`, so that a receiver that got it after
    all drops it."""
    require_admin(session, actor, "reinviare un webhook")
    event = session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event_id))
    if event is None:
        raise NotFound(f"Nessun evento webhook «{event_id}».")
    if event.state is not DeliveryState.FAILED:
        raise InvalidInput(
            f"Si può reinviare solo un evento «{DeliveryState.FAILED.value}»: questo è"
            f" «{event.state.value}»."
        )
    name = session.scalar(select(Integration.name).where(Integration.id == event.integration_id))
    now = utcnow()
    session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == event.id, WebhookEvent.state == DeliveryState.FAILED)
        .values(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=None,
            leased_by=None,
            lease_until=None,
            redelivered_at=now,
            redelivered_by=actor.username,
        )
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        actor,
        AuditAction.WEBHOOK_REDELIVER,
        f"integrazione {name}",
        detail=f"evento {event.event_id} ({event.type.label},"
        f" {_subject(event.type, event.subject_id)})",
    )
