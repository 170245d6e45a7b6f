"""Every SQL statement of the delivery: claiming due events with a lease, recording an
attempt, releasing a stopped worker's leases, forgetting old events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from appio_core.integrations.models import Integration
from appio_core.storage.db import rowcount

from .models import DeliveryState, EventType, WebhookEvent

E = WebhookEvent
PENDING = DeliveryState.PENDING


@dataclass(frozen=True)
class Due:
    """A claimed event, with what its delivery needs."""

    id: int
    integration_id: int
    event_id: str
    type: EventType
    data: str
    created_at: datetime
    attempts: int
    redelivered_at: datetime | None


def _due(now: datetime, limit: int) -> Select[Any]:
    return (
        select(E.id)
        .where(
            E.state == PENDING,
            or_(E.next_attempt_at.is_(None), E.next_attempt_at <= now),
            or_(E.lease_until.is_(None), E.lease_until < now),
        )
        .order_by(E.id)
        .limit(limit)
    )


def any_due(session: Session, now: datetime) -> bool:
    """A read first: a worker polling an empty queue takes no write lock (SQLite)."""
    return session.scalar(_due(now, 1)) is not None


def claim(
    session: Session, worker_id: str, now: datetime, until: datetime, limit: int
) -> list[Due]:
    """Up to `limit` due events, leased to this worker until `until`, oldest first. On
    PostgreSQL the candidates are locked first skipping those another worker's claim holds
    (as the dispatcher claims rows, appio_core/sending/store.py), then taken by id."""
    chosen = _due(now, limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(chosen.with_for_update(skip_locked=True)))
    else:
        ids = list(session.scalars(chosen))  # SQLite: one writer at a time
    if not ids:
        return []
    taken = session.execute(
        update(E)
        # The lease checked again: on SQLite another process may have taken one meanwhile.
        .where(E.id.in_(ids), E.state == PENDING, or_(E.lease_until.is_(None), E.lease_until < now))
        .values(leased_by=worker_id, lease_until=until)
        .returning(
            E.id,
            E.integration_id,
            E.event_id,
            E.type,
            E.data,
            E.created_at,
            E.attempts,
            E.redelivered_at,
        )
    )
    return sorted((Due(**row._asdict()) for row in taken), key=lambda due: due.id)


def urls(session: Session, integration_ids: set[int]) -> dict[int, str]:
    """The webhook URL of each integration still able to receive: with a URL and a
    secret, not revoked."""
    rows = session.execute(
        select(Integration.id, Integration.webhook_url).where(
            Integration.id.in_(integration_ids),
            Integration.revoked_at.is_(None),
            Integration.webhook_url.is_not(None),
            Integration.webhook_secret.is_not(None),
        )
    )
    return {i: url for i, url in rows if url}


T = cast(Table, WebhookEvent.__table__)
# One statement for a batch's deliveries (executemany): a statement per event cost more
# than its post. A 2xx stands even if the lease ran out meanwhile: it was delivered.
_DELIVERED = (
    update(T)
    .where(T.c.id == bindparam("b_id"), T.c.state == PENDING)
    .values(
        state=DeliveryState.DELIVERED,
        attempts=T.c.attempts + 1,
        last_status=bindparam("b_status"),
        last_error=None,
        last_attempt_at=bindparam("b_now"),
        delivered_at=bindparam("b_now"),
        leased_by=None,
        lease_until=None,
        next_attempt_at=None,
    )
)


def record_delivered(session: Session, statuses: dict[int, int], now: datetime) -> None:
    """The events delivered (id → the receiver's 2xx status)."""
    if statuses:
        session.execute(
            _DELIVERED,
            [{"b_id": i, "b_status": status, "b_now": now} for i, status in statuses.items()],
        )


def record_failed(
    session: Session,
    event_id: int,
    worker_id: str,
    status: int | None,
    error: str,
    now: datetime,
    next_attempt_at: datetime | None,
) -> bool:
    """A failed attempt: due again at `next_attempt_at`, or «fallito» (None). Written only
    while the event is still this worker's: one that took it over after the lease ran out
    decides. False when dropped."""
    done = session.execute(
        update(E)
        .where(E.id == event_id, E.state == PENDING, E.leased_by == worker_id)
        .values(
            state=PENDING if next_attempt_at else DeliveryState.FAILED,
            attempts=E.attempts + 1,
            last_status=status,
            last_error=error,
            last_attempt_at=now,
            next_attempt_at=next_attempt_at,
            leased_by=None,
            lease_until=None,
        )
    )
    return rowcount(done) == 1


def release(session: Session, worker_id: str, ids: Sequence[int]) -> None:
    """A stopping worker's events are due again at once, without waiting for the lease."""
    session.execute(
        update(E)
        .where(E.id.in_(list(ids)), E.leased_by == worker_id, E.state == PENDING)
        .values(leased_by=None, lease_until=None)
    )


def prune(session: Session, before: datetime) -> int:
    """Delivered and failed events older than `before`: the log keeps a month."""
    done = session.execute(
        delete(E).where(E.state != PENDING, E.created_at < before),
    )
    return rowcount(done)
