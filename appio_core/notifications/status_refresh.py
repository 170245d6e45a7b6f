"""«Aggiorna stato»: one notification's status read from IO now, and what changed stored."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.io_access import make_io_client, service_access
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.errors import Conflict
from appio_core.flows.access import changeable_service
from appio_core.flows.actions import refresh_state
from appio_core.io.errors import IoError, MessageNotFound
from appio_core.io.models import MessageStatus
from appio_core.notifications.detail import NotificationDetail, get_detail, notification_row
from appio_core.notifications.status import record_status_changes, status_values
from appio_core.storage.db import session_scope
from appio_core.storage.models import Flow, Notification, utcnow

# «Aggiorna stato» keeps the background reads on their schedule; this only sets a floor.
REFRESH_MIN_INTERVAL = 600.0


def refresh_status(
    sessions: sessionmaker[Session],
    actor: Actor,
    notification_id: int,
    box: KeyBox,
    base_url: str,
    clock: Callable[[], datetime] = utcnow,
) -> NotificationDetail:
    """«Aggiorna stato»: reads IO's status of the message now and stores what changed.

    A change, not a read: it writes the status columns and may move the flow between
    Inviato and Invio incompleto. So it needs send rights on the service, like any change;
    it sends nothing, so the service may be deactivated."""
    with session_scope(sessions) as session:
        row = notification_row(session, actor, notification_id)
        changeable_service(
            session, actor, row.service_id, sends=False, doing="aggiornare lo stato dei messaggi"
        )
        if row.io_message_id is None:
            raise Conflict("Questa notifica non è arrivata a IO: non c'è uno stato da leggere.")
        if row.purged_at is not None:
            raise Conflict(
                "Il codice fiscale di questa notifica è stato rimosso dopo il periodo di"
                " conservazione: IO non può più dirne lo stato."
            )
        access = service_access(session, actor, row.service_id, box)
        fiscal_code, message_id = row.fiscal_code, row.io_message_id

    async def read() -> MessageStatus:
        client = make_io_client(base_url, access.limiter)
        try:
            return await client.get_message_status(access.keys, fiscal_code, message_id)
        finally:
            await client.aclose()

    try:
        status = asyncio.run(read())
    except MessageNotFound:
        raise Conflict(
            "IO non ha ancora registrato questo messaggio: riprova tra qualche minuto."
        ) from None
    except IoError as exc:
        raise Conflict(f"Stato non letto: {exc.message}") from None
    with session_scope(sessions) as session:
        row = notification_row(session, actor, notification_id)
        change = status_values(row, status, clock(), REFRESH_MIN_INTERVAL)
        # Keep the background schedule unless this read closed it.
        if change.next_status_check_at is not None and row.next_status_check_at:
            change = replace(change, next_status_check_at=row.next_status_check_at)
        record_status_changes(session, [row], [change])
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(**change.columns(), updated_at=clock())
        )
        if row.flow_id is not None:
            flow = session.get(Flow, row.flow_id)
            assert flow is not None
            refresh_state(session, flow)
    with session_scope(sessions) as session:
        return get_detail(session, actor, notification_id, record=False)  # the page is open
