"""«Nuovo»: one message to one citizen, checked field by field, registered and sent at once.

Sending follows the dispatcher's rules for never sending twice (see appio_core.sending):
the row is registered «in invio» before anything reaches IO, `send_started_at` is committed
just before the message is posted, and IO's id is committed as soon as it is known. A
process that dies in between leaves a row that `recover_interrupted` (interrupted.py)
turns into «esito incerto» (the operator decides) or, when nothing was posted, a retryable
«errore».

A request may carry a key (each form has one; `--request-key`): the same author's second
request with the same key and content (a double click, a rerun) finds the row of the first
instead of sending again; with other content it is refused (request_keys).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.io_access import ServiceAccess, service_access
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.service_keys import keys_for_sending
from appio_core.audit import AuditAction, recording
from appio_core.content import cta
from appio_core.domain import FeatureLevel, Outcome
from appio_core.errors import Conflict
from appio_core.flows.access import active_service, changeable_service
from appio_core.notifications.content import (
    SUBJECT,
    TEXT,
    CheckedContent,
    FieldErrors,
    check_content,
)
from appio_core.notifications.request_keys import (
    check_request_key,
    find_repeat,
    request_fingerprint,
)
from appio_core.notifications.single_send import (
    SingleResult,
    _send_recorded,
    result_of,
    sender_id,
    single_row,
)
from appio_core.notifications.single_send import target as notification_target
from appio_core.storage.db import rowcount, session_scope
from appio_core.storage.models import Notification, Service, utcnow
from appio_core.templates.use import TemplateRef, check_use, unfilled_placeholders

PURGED_NOT_RESENT = (
    "Il testo di questa notifica è stato rimosso dopo il periodo di conservazione: non si"
    " può più inviare di nuovo."
)


@dataclass(frozen=True)
class NewNotification:
    """What the operator typed in «Nuovo», as typed (Italian amount and date forms)."""

    service_id: int
    fiscal_code: str
    subject: str
    text: str
    amount: str = ""
    notice_number: str = ""
    due_date: str = ""
    feature_level: FeatureLevel = FeatureLevel.STANDARD
    check_profile: bool = True
    request_key: str | None = None  # one per form: a repeated «Aggiungi» sends nothing
    buttons: tuple[tuple[str, str, str], ...] = ()  # (label, action, English label), as typed
    secure_channel: bool = False  # IO's require_secure_channels
    template: TemplateRef | None = None  # the saved template («Modelli») it started from
    # «Rettifica»: the notification this one corrects, set (and checked) by
    # appio_core.notifications.corrections.correct_notification.
    corrects_notification_id: int | None = None


def check_new(session: Session, actor: Actor, data: NewNotification) -> CheckedContent:
    """Every field checked, before anything reaches IO; FieldErrors lists all that is wrong.

    The operator must be allowed to send on the service, and the service active."""
    service = active_service(session, actor, data.service_id)
    check_use(session, data.template, service.id)
    if data.template is not None:
        values = ((SUBJECT, data.subject), (TEXT, data.text))
        left = {f: m for f, v in values if (m := unfilled_placeholders(v))}
        if left:
            raise FieldErrors(left)
    return check_content(
        fiscal_code=data.fiscal_code,
        subject=data.subject,
        text=data.text,
        amount=data.amount,
        notice_number=data.notice_number,
        due_date=data.due_date,
        max_amount=service.max_payment_amount,
        buttons=data.buttons,
        secure_channel=data.secure_channel,
    )


def send_new(
    sessions: sessionmaker[Session],
    actor: Actor,
    data: NewNotification,
    box: KeyBox,
    base_url: str,
    clock: Callable[[], datetime] = utcnow,
) -> SingleResult:
    """Registers the notification and sends it now; returns its outcome.

    Raises FieldErrors (nothing registered, nothing sent) when a field is wrong,
    RequestKeyReused when the key was used for another message, and the permission errors
    of the core when the operator may not send on the service. The audit log has the send
    with its outcome, or the refusal."""
    corrects = data.corrects_notification_id
    action = AuditAction.NOTIFICATION_SEND if corrects is None else AuditAction.NOTIFICATION_CORRECT
    target = NEW_TARGET if corrects is None else f"rettifica della notifica n. {corrects}"
    registered = register_new(sessions, actor, data, box, action, target, clock, Outcome.SENDING)
    if isinstance(registered, SingleResult):
        return registered
    row, access = registered
    notification_id = row.id
    note = "" if data.check_profile else "Senza verifica del profilo."
    if corrects is not None:
        note = f"Rettifica della notifica n. {corrects}. {note}".strip()
    return _send_recorded(
        sessions, actor, action, notification_id, access, base_url, data.check_profile, clock, note
    )


# A request that names its service and template as the API does: made a NewNotification by
# reading them in the registering transaction itself (one transaction, not two).
Prepare = Callable[[Session], NewNotification]


def register_new(
    sessions: sessionmaker[Session],
    actor: Actor,
    request: NewNotification | Prepare,
    box: KeyBox,
    action: AuditAction,
    target: str,
    clock: Callable[[], datetime],
    outcome: Outcome,
    integration_id: int | None = None,
) -> SingleResult | tuple[Notification, ServiceAccess]:
    """The checked message registered with `outcome` («in invio»: sent now by this
    process; «da inviare»: queued for the worker): (its row as written, the service's
    access), or the first request's result when this one repeats it (request_keys)."""
    key: str | None = None
    fingerprint = ""
    try:
        # One transaction: the checks, then the row (a refusal is in the audit log anyway).
        with session_scope(sessions) as session:
            with recording(session, actor, action, target) as entry:
                entry.skip = True  # recorded once sent, with IO's answer (a repeat sends nothing)
                data = request if isinstance(request, NewNotification) else request(session)
                # Held for the transaction: the checks below find it in the session's identity
                # map (weak: a row nobody holds is read again at each session.get).
                service = session.get(Service, data.service_id)  # noqa: F841
                corrects = data.corrects_notification_id
                checked = check_new(session, actor, data)
                key = None if data.request_key is None else check_request_key(data.request_key)
                fingerprint = request_fingerprint(
                    data.service_id, checked, data.feature_level, corrects=corrects
                )
                # A repeated key is not looked for here: the row's unique index on (author,
                # key) refuses it at the flush below, and the IntegrityError branch answers
                # with the first request's result. A new key, the usual case, reads nothing.
                access = service_access(session, actor, data.service_id, box)
            row = _new_row(actor, data, checked, key, fingerprint, clock, outcome, integration_id)
            session.add(row)
            session.flush()
            if outcome == Outcome.SENDING:
                # The keys again, with the row «in invio»: a key regeneration waits for this
                # send. A queued row is sent later, with the keys read then (queued.py).
                access = replace(access, keys=keys_for_sending(session, access.service_id, box))
    except IntegrityError:
        if key is None:
            raise
        # The same key, registered meanwhile by another process (a second click, a script run
        # twice at once): the first one sends; this one is its repeat, or refused.
        with (
            session_scope(sessions) as session,
            recording(session, actor, action, target) as entry,
        ):
            entry.skip = True
            earlier = find_repeat(session, actor.username, key, fingerprint)
            if earlier is None:
                raise
            return result_of(earlier, repeated=True)
    return row, access


def _new_row(
    actor: Actor,
    data: NewNotification,
    checked: CheckedContent,
    key: str | None,
    fingerprint: str,
    clock: Callable[[], datetime],
    outcome: Outcome,
    integration_id: int | None,
) -> Notification:
    now = clock()
    return Notification(
        service_id=data.service_id,
        created_by=actor.username,
        created_at=now,
        request_key=key,
        request_fingerprint=fingerprint if key else None,
        fiscal_code=checked.fiscal_code,
        subject=checked.subject,
        markdown=checked.markdown,
        amount=checked.amount,
        notice_number=checked.notice_number,
        due_date=checked.due_date,
        feature_level=data.feature_level,
        cta=cta.to_json(checked.buttons),
        secure_channel=checked.secure_channel,
        extra="{}",
        template_id=data.template.template_id if data.template else None,
        template_version=data.template.version if data.template else None,
        corrects_notification_id=data.corrects_notification_id,
        outcome=outcome,
        attempts=0,
        retryable=False,
        worker_id=sender_id() if outcome == Outcome.SENDING else None,
        integration_id=integration_id,
        updated_at=now,
    )


def resend(
    sessions: sessionmaker[Session],
    actor: Actor,
    notification_id: int,
    box: KeyBox,
    base_url: str,
    clock: Callable[[], datetime] = utcnow,
) -> SingleResult:
    """Sends a single notification again: one that surely did not reach IO (a temporary
    failure) or one whose outcome was uncertain, on the operator's explicit decision."""
    action = AuditAction.NOTIFICATION_RESEND
    with (
        session_scope(sessions) as session,
        recording(session, actor, action, notification_target(notification_id)) as entry,
    ):
        entry.skip = True  # recorded once sent, with IO's answer
        row = single_row(session, notification_id)
        active_service(session, actor, row.service_id)
        if row.purged_at is not None:
            raise Conflict(PURGED_NOT_RESENT)
        access = service_access(session, actor, row.service_id, box)
        again = rowcount(
            session.execute(
                update(Notification)
                .where(
                    Notification.id == notification_id,
                    Notification.io_message_id.is_(None),
                    ((Notification.outcome == Outcome.ERROR) & Notification.retryable.is_(True))
                    | (Notification.outcome == Outcome.UNCERTAIN),
                )
                .values(
                    outcome=Outcome.SENDING,
                    worker_id=sender_id(),
                    send_started_at=None,
                    retryable=False,
                    error_detail=None,
                    updated_at=clock(),
                )
            )
        )
        if not again:
            raise Conflict(
                "Si può inviare di nuovo solo una notifica con esito incerto o fallita per un"
                " errore temporaneo."
            )
        access = replace(access, keys=keys_for_sending(session, access.service_id, box))
    return _send_recorded(
        sessions, actor, action, notification_id, access, base_url, True, clock, ""
    )


def mark_sent(session: Session, actor: Actor, notification_id: int) -> None:
    """The operator decided: this uncertain single notification did reach IO."""
    action = AuditAction.NOTIFICATION_MARK_SENT
    with recording(session, actor, action, notification_target(notification_id)):
        row = single_row(session, notification_id)
        changeable_service(session, actor, row.service_id, sends=False)  # as a flow's rows
        if row.outcome != Outcome.UNCERTAIN:
            raise Conflict("Solo una notifica con esito incerto si può segnare come inviata.")
        row.outcome = Outcome.ACCEPTED
        row.error_detail = f"Segnata come inviata da {actor.username}."
        row.updated_at = utcnow()


NEW_TARGET = "nuova notifica singola"
