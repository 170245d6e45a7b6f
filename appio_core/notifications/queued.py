"""Single messages queued by the HTTP API: registered «da inviare» (Outcome.PENDING, no
flow) and sent by a worker (appio_core/sending/singles.py), by the same sender as «Nuovo»
(single_send.py): paced by the limiter of the worker holding the account's lease, or booked
on the account's shared budget (appio_core/io/budget.py) when no worker holds it.

The same rules as «Nuova notifica»: the same checks (check_new), the same request keys
(the API's `Idempotency-Key`, per integration), the same never-twice rules once a worker
has claimed the row: it is «in invio» under the worker's id before anything reaches IO,
`send_started_at` is committed just before the post, IO's id at once, and a worker that
dies meanwhile leaves a row that `recover_interrupted` gives an outcome (interrupted.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from appio_core.io.client import IoClient

from appio_core.accounts.io_access import ServiceAccess, service_access
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.service_keys import keys_for_sending
from appio_core.audit import AuditAction, AuditOutcome, record
from appio_core.domain import Outcome
from appio_core.errors import AppError
from appio_core.flows.access import active_service
from appio_core.integrations.models import Integration
from appio_core.notifications.detail import NotificationDetail, get_detail, registered_detail
from appio_core.notifications.single import NEW_TARGET, NewNotification, Prepare, register_new
from appio_core.notifications.single_send import (
    SingleResult,
    _send_recorded_async,
    result_of,
    single_row,
    target,
)
from appio_core.storage.db import rowcount, session_scope
from appio_core.storage.models import Notification, Service, utcnow
from appio_core.storage.runtime_models import AccountLease
from appio_core.templates.use import used_template

log = logging.getLogger(__name__)

QUEUED_NOTE = "Dalla coda delle notifiche dell'API."


@dataclass(frozen=True)
class Queued:
    detail: NotificationDetail
    repeated: bool  # the request key had registered it already: nothing new


def queue_new(
    sessions: sessionmaker[Session],
    actor: Actor,
    request: NewNotification | Prepare,
    box: KeyBox,
    clock: Callable[[], datetime] = utcnow,
) -> Queued:
    """Checks the message as «Nuova notifica» does and registers it «da inviare» for the
    worker, with the actor's integration; returns its detail (`repeated`: the request key
    had already registered it). FieldErrors, RequestKeyReused and the permission errors as
    `send_new`; the service must have its keys (checked now, not at the send)."""
    registered = register_new(
        sessions,
        actor,
        request,
        box,
        AuditAction.NOTIFICATION_SEND,
        NEW_TARGET,
        clock,
        Outcome.PENDING,
        actor.integration_id,
    )
    if isinstance(registered, SingleResult):
        with session_scope(sessions) as session:
            return Queued(get_detail(session, actor, registered.id, record=False), True)
    row, access = registered
    template = None
    if row.template_id is not None:
        with session_scope(sessions) as session:
            template = used_template(session, row.template_id, row.template_version)
    # The row as just written: nothing to read back.
    return Queued(registered_detail(row, access.name, template), False)


@dataclass(frozen=True)
class Claimed:
    notification_id: int
    account_id: int  # the IO account its service sends on


def claim_queued(session: Session, worker_id: str, now: datetime, limit: int) -> list[Claimed]:
    """Up to `limit` queued single messages, oldest first, made «in invio» under
    `worker_id`: each claim is fenced (still «da inviare»), so a row is claimed once.

    Not those of an account another worker holds the lease of: that worker sends them,
    paced by its own limiter, which has the account's whole quota (appio_core.sending);
    booked on the shared budget instead, they would get only the reserve it keeps free."""
    leased_elsewhere = exists().where(
        AccountLease.account_id == Service.account_id,
        AccountLease.owner.is_not(None),
        AccountLease.owner != worker_id,
        AccountLease.expires_at >= now,
    )
    candidates = (
        select(Notification.id, Service.account_id)
        .join(Service, Service.id == Notification.service_id)
        .where(
            Notification.flow_id.is_(None),
            Notification.outcome == Outcome.PENDING,
            ~leased_elsewhere,
        )
        .order_by(Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(of=Notification, skip_locked=True)
    claimed = []
    for notification_id, account_id in session.execute(candidates).all():
        taken = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.outcome == Outcome.PENDING)
            .values(
                outcome=Outcome.SENDING, worker_id=worker_id, send_started_at=None, updated_at=now
            )
        )
        if rowcount(taken):
            claimed.append(Claimed(notification_id, account_id))
    return claimed


def waiting_for(session: Session, account_id: int) -> bool:
    """Whether the account has queued single messages not yet claimed: sends, which come
    before its status reads."""
    return bool(
        session.scalar(
            select(Notification.id)
            .join(Service, Service.id == Notification.service_id)
            .where(
                Notification.flow_id.is_(None),
                Notification.outcome == Outcome.PENDING,
                Service.account_id == account_id,
            )
            .limit(1)
        )
    )


def _sender(session: Session, row: Notification) -> Actor:
    """Who sends it, for the permission checks and the audit log: its integration."""
    integration = (
        session.get(Integration, row.integration_id) if row.integration_id is not None else None
    )
    if integration is None:
        return Actor.worker()
    return Actor.of_integration(integration.id, integration.name, "worker")


async def send_queued(
    sessions: sessionmaker[Session],
    notification_id: int,
    box: KeyBox,
    base_url: str,
    clock: Callable[[], datetime] = utcnow,
    client: IoClient | None = None,
) -> SingleResult:
    """Sends one claimed row, as its integration: an integration revoked, or a service
    no longer active or allowed since the row was queued, ends it «errore» unsent.
    `client`: the worker's own for the row's account, when it holds its lease."""
    action = AuditAction.NOTIFICATION_SEND
    with session_scope(sessions) as session:
        row = single_row(session, notification_id)
        actor = _sender(session, row)
        refused: str | None = None
        try:
            active_service(session, actor, row.service_id)
            access: ServiceAccess = service_access(session, actor, row.service_id, box)
            access = replace(access, keys=keys_for_sending(session, access.service_id, box))
        except AppError as refusal:
            refused = refusal.message
    if refused is not None:
        return _refuse(sessions, actor, notification_id, refused, clock)
    return await _send_recorded_async(
        sessions,
        actor,
        action,
        notification_id,
        access,
        base_url,
        True,
        clock,
        QUEUED_NOTE,
        client,
    )


def _refuse(
    sessions: sessionmaker[Session],
    actor: Actor,
    notification_id: int,
    refused: str,
    clock: Callable[[], datetime],
) -> SingleResult:
    detail = f"Non inviata: {refused}"
    with session_scope(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.outcome == Outcome.SENDING)
            .values(
                outcome=Outcome.ERROR,
                retryable=False,
                worker_id=None,
                error_detail=detail,
                updated_at=clock(),
            )
        )
        record(
            session,
            actor,
            AuditAction.NOTIFICATION_SEND,
            target(notification_id),
            outcome=AuditOutcome.FAILED,
            detail=f"{detail} {QUEUED_NOTE}",
        )
        return result_of(single_row(session, notification_id))
