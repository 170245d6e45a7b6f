"""«Rettifica» of a single notification: a new message to the same citizen, sent at once.

IO cannot delete or change a message once sent. A correction goes through the same core as
«Nuovo» (appio_core.notifications.single: the same checks, request keys and outcomes),
linked to the message it corrects (`corrects_notification_id`). Only a single notification
that IO accepted can be corrected this way; a flow's are corrected by a correcting flow
(appio_core.flows.correction). The subject starts from the original's with «Rettifica: »
in front; the operator writes the text saying what changed. No payment notice: the one
already sent stays the one to pay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.audit import AuditAction, recording
from appio_core.content.correction import correction_subject, too_long
from appio_core.domain import POSITIVE_OUTCOMES
from appio_core.errors import Conflict, NotFound
from appio_core.flows.access import active_service
from appio_core.notifications.single import NewNotification, SingleResult, send_new
from appio_core.storage.db import session_scope
from appio_core.storage.models import Notification, utcnow


@dataclass(frozen=True)
class CorrectionDraft:
    """What «Rettifica» starts from: the original's subject with «Rettifica: » in front,
    and why that subject is too long, when it is."""

    notification_id: int
    subject: str
    subject_too_long: str | None


def check_correctable(session: Session, actor: Actor, notification_id: int) -> Notification:
    """The single notification to correct, or the refusal: the operator may send on its
    service (active), and IO accepted it."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound(f"Notifica {notification_id} non trovata.")
    active_service(session, actor, row.service_id)
    if row.flow_id is not None:
        raise Conflict(
            f"La notifica n. {row.id} fa parte del flusso n. {row.flow_id}: si rettifica il"
            " flusso, con «Rettifica» nella sua pagina."
        )
    if row.outcome not in POSITIVE_OUTCOMES:
        raise Conflict(
            f"La notifica n. {row.id} ha esito «{row.outcome.value}»: si rettifica solo una"
            " notifica che IO ha accettato."
        )
    if row.purged_at is not None:
        raise Conflict(
            "I dati personali di questa notifica sono stati rimossi dopo il periodo di"
            " conservazione: non si può più mandare una rettifica."
        )
    return row


def correction_draft(session: Session, actor: Actor, notification_id: int) -> CorrectionDraft:
    row = check_correctable(session, actor, notification_id)
    subject = correction_subject(row.subject)
    return CorrectionDraft(row.id, subject, too_long(subject))


def correct_notification(
    sessions: sessionmaker[Session],
    actor: Actor,
    notification_id: int,
    *,
    subject: str,
    text: str,
    box: KeyBox,
    base_url: str,
    request_key: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> SingleResult:
    """Sends the correction now, as «Nuovo» sends (FieldErrors, RequestKeyReused, the same
    outcomes), to the original's citizen on its service; refused (in the audit log) when
    the original cannot be corrected."""
    target = f"rettifica della notifica n. {notification_id}"
    with (
        session_scope(sessions) as session,
        recording(session, actor, AuditAction.NOTIFICATION_CORRECT, target) as entry,
    ):
        entry.skip = True  # the send itself is recorded, with IO's answer
        original = check_correctable(session, actor, notification_id)
        data = NewNotification(
            service_id=original.service_id,
            fiscal_code=original.fiscal_code,
            subject=subject,
            text=text,
            feature_level=original.feature_level,
            request_key=request_key,
            corrects_notification_id=original.id,
        )
    return send_new(sessions, actor, data, box, base_url, clock)
