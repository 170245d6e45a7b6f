"""One notification in full: what was sent, to whom, its outcome explained, IO's status and
its history. Opening one is in the audit log. «Aggiorna stato» (IO's status read now) is in
status_refresh.py, with the IO client this module does not need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, require_service_read
from appio_core.audit import AuditAction, recording
from appio_core.content import cta
from appio_core.domain import OUTCOME_DESCRIPTIONS, POSITIVE_OUTCOMES, FeatureLevel, Outcome
from appio_core.errors import NotFound
from appio_core.notifications import labels
from appio_core.notifications.archive import due_moment
from appio_core.storage.models import (
    Flow,
    Notification,
    NotificationStatusEvent,
    Service,
)
from appio_core.templates.use import TemplateUse, used_template


@dataclass(frozen=True)
class StatusEvent:
    at: datetime
    io_status: str
    email_status: str
    read_status: str | None
    payment_status: str | None


@dataclass(frozen=True)
class NotificationDetail:
    id: int
    flow_id: int | None
    flow_name: str | None
    row_number: int | None
    service_id: int
    service_name: str
    created_by: str
    created_at: datetime
    fiscal_code: str
    subject: str
    markdown: str
    amount: int | None
    notice_number: str | None
    due_date: datetime | None
    feature_level: FeatureLevel
    outcome: Outcome
    outcome_explained: str
    error_detail: str | None
    http_status: int | None
    attempts: int
    send_started_at: datetime | None
    sent_at: datetime | None
    io_message_id: str | None
    io_status: str  # labels, in Italian
    io_status_explained: str | None
    email_status: str
    read_status: str
    payment_status: str
    status_checked_at: datetime | None
    next_status_check_at: datetime | None
    history: tuple[StatusEvent, ...]
    retryable: bool
    purged_at: datetime | None  # when its personal data was removed (retention)
    purge_days: int | None
    send_after: datetime | None = None  # its file's send date: not sent before
    invalid_after_due_date: bool = False  # the notice cannot be paid after its due date
    buttons: cta.Buttons = ()  # sent with it (a flow's row: the flow's)
    secure_channel: bool = False  # IO's require_secure_channels
    template: TemplateUse | None = None  # the saved template it was made from (its flow's)
    # «Rettifica»: the message this one corrects, and those correcting it (oldest first).
    corrects_notification_id: int | None = None
    corrected_by: tuple[int, ...] = ()

    @property
    def is_single(self) -> bool:
        return self.flow_id is None

    @property
    def purged(self) -> bool:
        return self.purged_at is not None

    @property
    def purge_note(self) -> str | None:
        """«Dati rimossi dopo N giorni», in full, for the detail and the CLI."""
        if self.purged_at is None:
            return None
        return labels.purge_note(self.purge_days, self.purged_at)

    @property
    def can_correct(self) -> bool:
        """«Rettifica»: a single notification IO accepted (a flow's: on the flow)."""
        return self.is_single and not self.purged and self.outcome in POSITIVE_OUTCOMES

    @property
    def can_resend(self) -> bool:
        """A single notification that surely did not reach IO, or an uncertain one."""
        return (
            self.is_single
            and not self.purged
            and self.io_message_id is None
            and (
                (self.outcome == Outcome.ERROR and self.retryable)
                or self.outcome == Outcome.UNCERTAIN
            )
        )


def notification_row(session: Session, actor: Actor, notification_id: int) -> Notification:
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound(f"Notifica {notification_id} non trovata.")
    require_service_read(session, actor, row.service_id)
    return row


def get_detail(
    session: Session, actor: Actor, notification_id: int, *, record: bool = True
) -> NotificationDetail:
    """One notification in full. Opening it reads a citizen's data: in the audit log, done
    (with his codice fiscale) or refused, unless `record` is False: the page drawn again
    by a rerun, or the detail given back after «Aggiorna stato», is not a new opening."""
    if not record:
        return _detail(session, notification_row(session, actor, notification_id))
    target = f"notifica n. {notification_id}"
    with recording(session, actor, AuditAction.READ_NOTIFICATION, target) as entry:
        row = notification_row(session, actor, notification_id)
        entry.fiscal_code = row.fiscal_code
        detail = _detail(session, row)
        entry.detail = (
            f"Flusso n. {row.flow_id}, riga {row.row_number}; servizio «{detail.service_name}»."
            if row.flow_id is not None
            else f"Notifica singola; servizio «{detail.service_name}»."
        )
        return detail


def _detail(session: Session, row: Notification) -> NotificationDetail:
    flow_name, buttons, secure = None, cta.from_json(row.cta), row.secure_channel
    template_id, template_version = row.template_id, row.template_version
    if row.flow_id is not None:
        found = session.execute(
            select(
                Flow.name, Flow.cta, Flow.secure_channel, Flow.template_id, Flow.template_version
            ).where(Flow.id == row.flow_id)
        ).one()
        flow_name, buttons, secure = found.name, cta.from_json(found.cta), found.secure_channel
        template_id, template_version = found.template_id, found.template_version
    service = session.get(Service, row.service_id)
    assert service is not None
    events = session.scalars(
        select(NotificationStatusEvent)
        .where(NotificationStatusEvent.notification_id == row.id)
        .order_by(NotificationStatusEvent.at, NotificationStatusEvent.id)
    )
    history = tuple(
        StatusEvent(
            at=e.at,
            io_status=labels.io_status_label(e.io_status, True),
            email_status=labels.email_status_label(e.email_status, True),
            read_status=labels.code_label(labels.READ_STATUS_LABELS, e.read_status),
            payment_status=labels.code_label(labels.PAYMENT_STATUS_LABELS, e.payment_status),
        )
        for e in events
    )
    corrected_by = tuple(
        session.scalars(
            select(Notification.id)
            .where(Notification.corrects_notification_id == row.id)
            .order_by(Notification.id)
        )
    )
    template = used_template(session, template_id, template_version)
    return _built(row, service.name, flow_name, buttons, secure, history, template, corrected_by)


def registered_detail(
    row: Notification, service_name: str, template: TemplateUse | None
) -> NotificationDetail:
    """A single notification just registered, from the row as written: nothing has happened
    to it yet (no status read, no correction), so there is nothing more to read. The same
    detail as get_detail's for it (tests/api: the POST's answer equals the GET's)."""
    buttons = cta.from_json(row.cta)
    return _built(row, service_name, None, buttons, row.secure_channel, (), template, ())


def _built(
    row: Notification,
    service_name: str,
    flow_name: str | None,
    buttons: cta.Buttons,
    secure: bool,
    history: tuple[StatusEvent, ...],
    template: TemplateUse | None,
    corrected_by: tuple[int, ...],
) -> NotificationDetail:
    has_message = row.io_message_id is not None
    return NotificationDetail(
        id=row.id,
        flow_id=row.flow_id,
        flow_name=flow_name,
        row_number=row.row_number,
        service_id=row.service_id,
        service_name=service_name,
        created_by=row.created_by,
        created_at=row.created_at,
        fiscal_code=row.fiscal_code,
        subject=row.subject,
        markdown=row.markdown,
        amount=row.amount,
        notice_number=row.notice_number,
        due_date=due_moment(row.due_date),
        feature_level=row.feature_level,
        outcome=row.outcome,
        outcome_explained=OUTCOME_DESCRIPTIONS[row.outcome],
        error_detail=row.error_detail,
        http_status=row.http_status,
        attempts=row.attempts,
        send_started_at=row.send_started_at,
        sent_at=row.sent_at,
        io_message_id=row.io_message_id,
        io_status=labels.io_status_label(row.io_status, has_message),
        io_status_explained=labels.IO_STATUS_DESCRIPTIONS.get(row.io_status or ""),
        email_status=labels.email_status_label(row.email_status, has_message, long=True),
        read_status=labels.read_status_label(row.read_status, row.feature_level, has_message),
        payment_status=labels.payment_status_label(
            row.payment_status, row.feature_level, has_message
        ),
        status_checked_at=row.status_checked_at,
        next_status_check_at=row.next_status_check_at,
        history=history,
        retryable=row.retryable,
        purged_at=row.purged_at,
        purge_days=row.purge_days,
        send_after=row.send_after,
        invalid_after_due_date=row.invalid_after_due_date,
        buttons=buttons,
        secure_channel=secure,
        template=template,
        corrects_notification_id=row.corrects_notification_id,
        corrected_by=corrected_by,
    )
