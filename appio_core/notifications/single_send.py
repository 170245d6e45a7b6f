"""The send of one single message, once its row is «in invio»: the one sender of single
messages, whether «Nuovo» sends it at once (single.py) or the worker sends one queued by
the API (queued.py).

Never twice: `send_started_at` is committed just before the post (a row recovered as
interrupted meanwhile is left alone), IO's id is committed as soon as it is known, and the
final write is fenced by this send's last write (`updated_at`), as a flow's rows are by
their worker and attempt.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from appio_core.io.client import IoClient

from appio_core.accounts.io_access import ServiceAccess, make_io_client
from appio_core.accounts.permissions import Actor
from appio_core.audit import AuditAction, AuditOutcome, record
from appio_core.content import cta
from appio_core.domain import POSITIVE_OUTCOMES, Outcome
from appio_core.errors import NotFound
from appio_core.io.models import NewMessage
from appio_core.notifications.change import NotificationChange
from appio_core.notifications.single_exchange import exchange
from appio_core.storage.db import rowcount, session_scope
from appio_core.storage.models import Notification


@dataclass(frozen=True)
class SingleResult:
    """The outcome of «Aggiungi», as the operator reads it right away."""

    id: int
    outcome: Outcome
    io_message_id: str | None
    http_status: int | None
    detail: str | None
    repeated: bool = False  # the form had already been sent: nothing new was sent


def sender_id() -> str:
    return f"single-{os.getpid()}"


def target(notification_id: int) -> str:
    return f"notifica n. {notification_id}"


def single_row(session: Session, notification_id: int) -> Notification:
    row = session.get(Notification, notification_id)
    if row is None or row.flow_id is not None:
        raise NotFound(f"Notifica singola {notification_id} non trovata.")
    return row


def result_of(row: Notification, repeated: bool = False) -> SingleResult:
    return SingleResult(
        id=row.id,
        outcome=row.outcome,
        io_message_id=row.io_message_id,
        http_status=row.http_status,
        detail=row.error_detail,
        repeated=repeated,
    )


def _send_recorded(
    sessions: sessionmaker[Session],
    actor: Actor,
    action: AuditAction,
    notification_id: int,
    access: ServiceAccess,
    base_url: str,
    check_profile: bool,
    clock: Callable[[], datetime],
    note: str,
) -> SingleResult:
    """`_send_recorded_async` for a caller without an event loop (a page, the CLI).

    Private to the package's senders (single.py, queued.py), which check the actor's
    permission first: it sends, and checks nothing."""
    return asyncio.run(
        _send_recorded_async(
            sessions, actor, action, notification_id, access, base_url, check_profile, clock, note
        )
    )


async def _send_recorded_async(
    sessions: sessionmaker[Session],
    actor: Actor,
    action: AuditAction,
    notification_id: int,
    access: ServiceAccess,
    base_url: str,
    check_profile: bool,
    clock: Callable[[], datetime],
    note: str,
    client: IoClient | None = None,
) -> SingleResult:
    """The send, then its entry in the audit log: the outcome, never the message. `client`:
    the worker's own for the account, when it holds the account's lease (its limiter paces
    the whole account); otherwise one booking each request on the shared budget."""
    service = f"Servizio «{access.name}»."
    try:
        result = await _send(
            sessions, notification_id, access, base_url, check_profile, clock, client
        )
    except Exception as error:
        with session_scope(sessions) as session:
            record(
                session,
                actor,
                action,
                target(notification_id),
                outcome=AuditOutcome.FAILED,
                detail=f"{service} Invio interrotto: errore interno ({type(error).__name__}).",
            )
        raise
    reached = result.outcome in POSITIVE_OUTCOMES
    detail = [service, f"Esito: {result.outcome.value}."]
    if result.io_message_id:
        detail.append(f"ID messaggio IO {result.io_message_id}.")
    with session_scope(sessions) as session:
        record(
            session,
            actor,
            action,
            target(notification_id),
            outcome=AuditOutcome.OK if reached else AuditOutcome.FAILED,
            detail=" ".join([*detail, note]).strip(),
        )
    return result


async def _send(
    sessions: sessionmaker[Session],
    notification_id: int,
    access: ServiceAccess,
    base_url: str,
    check_profile: bool,
    clock: Callable[[], datetime],
    client: IoClient | None,
) -> SingleResult:
    with session_scope(sessions) as session:
        row = single_row(session, notification_id)
        message = NewMessage(
            fiscal_code=row.fiscal_code,
            subject=row.subject,
            markdown=cta.with_front_matter(cta.from_json(row.cta), row.markdown),
            amount=row.amount,
            notice_number=row.notice_number,
            due_date=row.due_date,
            feature_level_type=row.feature_level,
            require_secure_channels=row.secure_channel,
        )
        written = [row.updated_at]  # this send's last write: the final write's fence

    def start_sending() -> bool:
        """Commits `send_started_at` just before the post; False if the row is no longer
        ours (recovered as interrupted meanwhile)."""
        written[0] = now = clock()
        with session_scope(sessions) as session:
            return bool(
                rowcount(
                    session.execute(
                        update(Notification)
                        .where(
                            Notification.id == notification_id,
                            Notification.outcome == Outcome.SENDING,
                            Notification.send_started_at.is_(None),
                        )
                        .values(
                            send_started_at=now,
                            attempts=Notification.attempts + 1,
                            updated_at=now,
                        )
                    )
                )
            )

    own = client is None
    io = make_io_client(base_url, access.limiter) if client is None else client
    change: NotificationChange | None
    try:
        change = await exchange(io, access, message, check_profile, start_sending, clock)
    finally:
        if own:
            await io.aclose()
    with session_scope(sessions) as session:
        if change is not None:
            # Only on the row as this send left it: a send that outlived INTERRUPTED_AFTER
            # finds it recovered, maybe resent or marked as sent: that decision stands.
            session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.updated_at == written[0])
                .values(**change.columns(), worker_id=None, updated_at=clock())
            )
        return result_of(single_row(session, notification_id))
