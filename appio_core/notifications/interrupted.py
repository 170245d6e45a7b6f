"""Single messages a process left «in invio» when it died (appio_core.notifications.single):
the worker's housekeeping gives them an outcome, never a silent resend."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from appio_core.domain import Outcome
from appio_core.storage.db import rowcount
from appio_core.storage.models import Notification, utcnow

# A single send takes at most a few HTTP timeouts; a row «in invio» untouched for longer
# belongs to a process that died.
INTERRUPTED_AFTER = timedelta(minutes=5)

INTERRUPTED_AFTER_POST = (
    "L'invio è stato interrotto dopo la richiesta a IO (arresto del server): non sappiamo se"
    " IO abbia ricevuto il messaggio."
)
INTERRUPTED_BEFORE_POST = (
    "L'invio è stato interrotto prima di raggiungere IO (arresto del server): nessun"
    " messaggio è partito, puoi inviarlo di nuovo."
)


def recover_interrupted(session: Session, now: datetime | None = None) -> int:
    """Single notifications left «in invio» by a process that died: «esito incerto» when the
    message may have been posted, a retryable «errore» when it surely was not (or «da
    inviare» again, for the worker, when the API queued it)."""
    now = now or utcnow()
    stale = (
        Notification.flow_id.is_(None),
        Notification.outcome == Outcome.SENDING,
        Notification.updated_at < now - INTERRUPTED_AFTER,
    )
    posted = rowcount(
        session.execute(
            update(Notification)
            .where(*stale, Notification.send_started_at.is_not(None))
            .values(
                outcome=Outcome.UNCERTAIN,
                worker_id=None,
                error_detail=INTERRUPTED_AFTER_POST,
                updated_at=now,
            )
        )
    )
    # A message queued by the API goes back to the queue, as a flow's row does: nobody
    # waits at a page to send it again.
    requeued = rowcount(
        session.execute(
            update(Notification)
            .where(
                *stale,
                Notification.send_started_at.is_(None),
                Notification.integration_id.is_not(None),
            )
            .values(outcome=Outcome.PENDING, worker_id=None, updated_at=now)
        )
    )
    not_posted = rowcount(
        session.execute(
            update(Notification)
            .where(*stale, Notification.send_started_at.is_(None))
            .values(
                outcome=Outcome.ERROR,
                retryable=True,
                worker_id=None,
                error_detail=INTERRUPTED_BEFORE_POST,
                updated_at=now,
            )
        )
    )
    return posted + requeued + not_posted
