"""Turning a recipient file into a flow: check it, import it all or nothing, replace it.

Every function takes the caller's session and the acting operator and never commits.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from appio_core.accounts.permissions import (
    Actor,
)
from appio_core.audit import AuditAction, recording
from appio_core.content import cta
from appio_core.domain import (
    FeatureLevel,
    FlowState,
)
from appio_core.errors import AppError, Conflict, InvalidInput
from appio_core.flows.access import active_service, flow_for_send, flow_or_404
from appio_core.flows.approval import REPORT_WARNINGS_KEPT, take_request_away
from appio_core.flows.confirmations import ConfirmationNeeded
from appio_core.flows.fields import check_name, check_natura, require_editable
from appio_core.flows.recipient_rows import insert_recipients
from appio_core.italian import counted, thousands
from appio_core.recipient_file.columns import payment_columns, payment_expected
from appio_core.recipient_file.file_notes import PAYMENT_COLUMNS_MISSING
from appio_core.recipient_file.report import ValidationReport
from appio_core.recipient_file.validation import (
    FileOptions,
    RowPreview,
    open_recipient_file,
    preview_row,
    validate_file,
)
from appio_core.storage.models import Flow, Notification, Service, utcnow
from appio_core.templates.use import TemplateRef, check_use


@dataclass(frozen=True)
class FlowOptions:
    description: str = ""
    check_profile: bool = True
    feature_level: str = "STANDARD"
    scheduled_at: datetime | None = None
    status_check_hours: int = 48
    buttons: cta.Buttons = ()  # checked (appio_core.content.cta); the same for every recipient
    secure_channel: bool = False  # IO's require_secure_channels
    # The saved template («Modelli») the flow was made from, recorded with the flow.
    template: TemplateRef | None = None


@dataclass(frozen=True)
class Templates:
    """How the file makes the messages: templates, sheet, and the operator's meaning of
    some columns (header, role of recipient_file.columns.ROLE_LABELS)."""

    subject: str | None = None
    text: str | None = None
    sheet: str | None = None
    columns: tuple[tuple[str, str], ...] = ()


class PaymentColumnsMissing(ConfirmationNeeded):
    """A payment flow whose file has no payment columns: created only when confirmed."""

    code = PAYMENT_COLUMNS_MISSING


class FlowFileRefused(AppError):
    """The recipient file has errors: nothing was imported. `report` says what to fix."""

    code = "file_non_valido"

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(
            "Il file contiene errori: nessun destinatario è stato importato. " + report.summary()
        )
        self.report = report


def _payload(source: Path | bytes | BinaryIO) -> Path | bytes:
    """A path stays a path (the sandboxed reader opens it); a stream is read once here."""
    if isinstance(source, Path | bytes):
        return source
    return source.read()


def checksum(content: bytes | Path) -> str:
    digest = hashlib.sha256()
    if isinstance(content, bytes):
        digest.update(content)
        return digest.hexdigest()
    with content.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _file_options(
    service: Service, templates: Templates, natura: str | None, buttons: cta.Buttons = ()
) -> FileOptions:
    return FileOptions(
        rules=cta.content_rules(buttons),
        subject_template=templates.subject or None,
        text_template=templates.text or None,
        sheet=templates.sheet or None,
        max_payment_amount=service.max_payment_amount,
        columns=dict(templates.columns),
        payment_columns=payment_columns(natura),
        payment_expected=payment_expected(natura),
    )


def _check_options(name: str, natura: str, options: FlowOptions) -> None:
    check_name(name)
    check_natura(natura)
    if options.feature_level not in {level.value for level in FeatureLevel}:
        raise InvalidInput("Il livello del messaggio deve essere STANDARD o ADVANCED.")
    if options.status_check_hours < 0:
        raise InvalidInput("Le ore di verifica dello stato non possono essere negative.")


def import_flow(
    session: Session,
    actor: Actor,
    *,
    service_id: int,
    name: str,
    natura: str,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates = Templates(),
    options: FlowOptions = FlowOptions(),
    force: bool = False,
) -> Flow:
    """A new flow in state Inattivo with every recipient of the file, or nothing at all.

    Raises FlowFileRefused (with the report) when the file or any row has errors, and
    PaymentColumnsMissing when a payment flow's file has no payment columns, unless `force`
    (the operator's confirmation)."""
    with recording(
        session,
        actor,
        AuditAction.FLOW_IMPORT,
        f"nuovo flusso «{name.strip()}»",
        f"File «{Path(filename).name}».",
    ) as entry:
        service = active_service(session, actor, service_id)
        _check_options(name, natura, options)
        check_use(session, options.template, service.id)
        flow = _import_file(
            session, actor, service, name, natura, source, filename, templates, options, force
        )
        entry.target = f"flusso n. {flow.id} «{flow.name}»"
        entry.detail = (
            f"Servizio «{service.name}»; natura {natura}; file «{flow.source_filename}»:"
            f" {counted(flow.recipients_total, 'destinatario', 'destinatari')}."
        )
        if options.buttons:
            entry.detail += f" Pulsanti: {cta.describe(options.buttons)}."
        if options.secure_channel:
            entry.detail += " Canale sicuro."
        return flow


def _import_file(
    session: Session,
    actor: Actor,
    service: Service,
    name: str,
    natura: str,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates,
    options: FlowOptions,
    force: bool,
) -> Flow:
    """The flow and its recipients from one pass over the file, or FlowFileRefused."""
    content = _payload(source)
    file_options = _file_options(service, templates, natura, options.buttons)
    with ThreadPoolExecutor(max_workers=1) as hasher:
        # Hashed while the sandboxed child reads and checks the file (hashlib releases the GIL).
        digest = hasher.submit(checksum, content)
        with open_recipient_file(content, filename, file_options, deliver=True) as opened:
            if opened.report.has_errors:
                raise FlowFileRefused(opened.report)
            _confirmed(opened.report, force)
            flow = _new_flow(
                session, actor, service, name, natura, filename, digest.result(), templates, options
            )
            flow.recipients_total = insert_recipients(session, flow, opened.recipients())
            flow.file_report = opened.report.kept(REPORT_WARNINGS_KEPT)
    return flow


def _confirmed(report: ValidationReport, force: bool) -> None:
    """What the report warns about for the whole file must be confirmed (`force`)."""
    for warning in report.file_warnings:
        if warning.code == PAYMENT_COLUMNS_MISSING and not force:
            raise PaymentColumnsMissing(warning.message)


def _new_flow(
    session: Session,
    actor: Actor,
    service: Service,
    name: str,
    natura: str,
    filename: str,
    digest: str,
    templates: Templates,
    options: FlowOptions,
) -> Flow:
    flow = Flow(
        name=name.strip(),
        description=options.description.strip(),
        natura=natura,
        service_id=service.id,
        created_by=actor.username,
        state=FlowState.INACTIVE,
        source_filename=Path(filename).name,
        source_checksum=digest,
        subject_template=templates.subject or None,
        text_template=templates.text or None,
        check_profile=options.check_profile,
        feature_level=FeatureLevel(options.feature_level),
        scheduled_at=options.scheduled_at,
        status_check_hours=options.status_check_hours,
        cta=cta.to_json(options.buttons),
        secure_channel=options.secure_channel,
        template_id=options.template.template_id if options.template else None,
        template_version=options.template.version if options.template else None,
        # Made through the API: the integration is told of its changes (webhooks).
        integration_id=actor.integration_id,
    )
    session.add(flow)
    session.flush()
    return flow


def check_flow_file(
    session: Session,
    actor: Actor,
    service_id: int,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates = Templates(),
    natura: str | None = None,
    buttons: cta.Buttons = (),
) -> ValidationReport:
    """The validation report of a file for a service, without importing anything."""
    service = active_service(session, actor, service_id)
    options = _file_options(service, templates, natura, buttons)
    return validate_file(_payload(source), filename, options)


def preview_flow_row(
    session: Session,
    actor: Actor,
    service_id: int,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates,
    row: int,
    natura: str | None = None,
) -> RowPreview:
    """The message of the file's `row` (a spreadsheet row number) as IO will show it."""
    service = active_service(session, actor, service_id)
    options = _file_options(service, templates, natura)
    return preview_row(_payload(source), filename, options, row)


def replace_recipients(
    session: Session,
    actor: Actor,
    flow_id: int,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates | None = None,
    *,
    sheet: str | None = None,
    columns: tuple[tuple[str, str], ...] = (),
) -> Flow:
    """Swaps the file of a flow in preparation: the old rows go only if the new file is clean.

    `templates` None keeps the flow's own (checked against the new file's columns)."""
    flow, _ = replace_file(
        session, actor, flow_id, source, filename, templates, sheet=sheet, columns=columns
    )
    return flow


def replace_file(
    session: Session,
    actor: Actor,
    flow_id: int,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates | None = None,
    *,
    sheet: str | None = None,
    columns: tuple[tuple[str, str], ...] = (),
) -> tuple[Flow, ValidationReport]:
    """`replace_recipients`, with the new file's report (its warnings) for the page."""
    with recording(
        session,
        actor,
        AuditAction.FLOW_REPLACE_FILE,
        f"flusso n. {flow_id}",
        f"File «{Path(filename).name}».",
    ) as entry:
        flow = flow_or_404(session, flow_id)
        entry.target = f"flusso n. {flow.id} «{flow.name}»"
        flow = flow_for_send(session, actor, flow_id)
        require_editable(flow)
        if flow.corrects_flow_id is not None:
            raise Conflict(
                f"Questo flusso è una rettifica del flusso n. {flow.corrects_flow_id}: i suoi"
                " destinatari sono quelli che IO aveva accettato, il file non si sostituisce."
                " Per altri destinatari crea un nuovo flusso."
            )
        if templates is None:
            templates = Templates(flow.subject_template, flow.text_template, sheet, columns)
        service = active_service(session, actor, flow.service_id)
        content = _payload(source)
        file_options = _file_options(service, templates, flow.natura, cta.from_json(flow.cta))
        with open_recipient_file(content, filename, file_options, deliver=True) as opened:
            if opened.report.has_errors:
                raise FlowFileRefused(opened.report)
            before = flow.recipients_total
            session.query(Notification).filter(Notification.flow_id == flow.id).delete()
            flow.source_filename = Path(filename).name
            flow.source_checksum = checksum(content)
            flow.subject_template = templates.subject or None
            flow.text_template = templates.text or None
            flow.recipients_total = insert_recipients(session, flow, opened.recipients())
            flow.file_report = opened.report.kept(REPORT_WARNINGS_KEPT)
        withdrawn = take_request_away(
            flow, actor.username, "il file dei destinatari è stato", utcnow()
        )
        recipients = counted(flow.recipients_total, "destinatario", "destinatari")
        entry.detail = (
            f"File «{flow.source_filename}»: {recipients} (prima {thousands(before)}). {withdrawn}"
        ).strip()
        return flow, opened.report
