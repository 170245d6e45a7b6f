"""Turning a recipient file into a flow: check it, import it all or nothing, replace it.

Every function takes the caller's session and the acting operator and never commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import insert
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import (
    Actor,
)
from appio_core.audit import AuditAction, recording
from appio_core.domain import (
    FeatureLevel,
    FlowState,
    Natura,
    Outcome,
)
from appio_core.errors import AppError, Conflict, InvalidInput
from appio_core.flows.access import active_service, flow_for_send
from appio_core.recipient_file.report import ValidationReport
from appio_core.recipient_file.validation import FileOptions, iter_recipient_chunks, validate_file
from appio_core.storage.models import NOTIFICATIONS, Flow, Notification, Service, utcnow


@dataclass(frozen=True)
class FlowOptions:
    description: str = ""
    check_profile: bool = True
    feature_level: str = "STANDARD"
    scheduled_at: datetime | None = None
    status_check_hours: int = 48


@dataclass(frozen=True)
class Templates:
    subject: str | None = None
    text: str | None = None
    sheet: str | None = None


class FlowFileRefused(AppError):
    """The recipient file has errors: nothing was imported. `report` says what to fix."""

    code = "file_non_valido"

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(
            "Il file contiene errori: nessun destinatario è stato importato. " + report.summary()
        )
        self.report = report


def _read_source(source: Path | bytes | BinaryIO) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, Path):
        return source.read_bytes()
    return source.read()


def checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _file_options(service: Service, templates: Templates) -> FileOptions:
    return FileOptions(
        subject_template=templates.subject or None,
        text_template=templates.text or None,
        sheet=templates.sheet or None,
        max_payment_amount=service.max_payment_amount,
    )


def _check_options(name: str, natura: str, options: FlowOptions) -> None:
    if not name.strip():
        raise InvalidInput("Indica il nome del flusso.")
    if natura not in {n.value for n in Natura}:
        choices = ", ".join(n.value for n in Natura)
        raise InvalidInput(f"Natura «{natura}» sconosciuta: scegli tra {choices}.")
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
) -> Flow:
    """A new flow in state Inattivo with every recipient of the file, or nothing at all.

    Raises FlowFileRefused (with the report) when the file or any row has errors."""
    with recording(
        session,
        actor,
        AuditAction.FLOW_IMPORT,
        f"nuovo flusso «{name.strip()}»",
        f"File «{Path(filename).name}».",
    ) as entry:
        service = active_service(session, actor, service_id)
        _check_options(name, natura, options)
        flow = _new_flow(
            session, actor, service, name, natura, source, filename, templates, options
        )
        entry.target = f"flusso n. {flow.id} «{flow.name}»"
        entry.detail = (
            f"Servizio «{service.name}»; natura {natura}; file «{flow.source_filename}»:"
            f" {flow.recipients_total} destinatari."
        )
        return flow


def _new_flow(
    session: Session,
    actor: Actor,
    service: Service,
    name: str,
    natura: str,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates,
    options: FlowOptions,
) -> Flow:
    content = _read_source(source)
    file_options = _file_options(service, templates)
    report = validate_file(content, filename, file_options)
    if not report.usable or report.has_errors:
        raise FlowFileRefused(report)
    flow = Flow(
        name=name.strip(),
        description=options.description.strip(),
        natura=natura,
        service_id=service.id,
        created_by=actor.username,
        state=FlowState.INACTIVE,
        source_filename=Path(filename).name,
        source_checksum=checksum(content),
        subject_template=templates.subject or None,
        text_template=templates.text or None,
        check_profile=options.check_profile,
        feature_level=FeatureLevel(options.feature_level),
        scheduled_at=options.scheduled_at,
        status_check_hours=options.status_check_hours,
    )
    session.add(flow)
    session.flush()
    flow.recipients_total = _insert_recipients(session, flow, content, filename, file_options)
    return flow


_RECIPIENT_COLUMNS = (
    "flow_id",
    "service_id",
    "created_by",
    "created_at",
    "feature_level",
    "row_number",
    "fiscal_code",
    "subject",
    "markdown",
    "amount",
    "notice_number",
    "due_date",
    "extra",
    "outcome",
    "attempts",
    "retryable",
)
_CHUNK_COLUMNS = ["row", "fiscal_code", "subject", "markdown", "amount", "notice_number"]
_CHUNK_COLUMNS += ["due_date", "extra"]


def _insert_recipients(
    session: Session, flow: Flow, content: bytes, filename: str, options: FileOptions
) -> int:
    """Inserts the rows chunk by chunk, so memory stays bounded whatever the file's size.

    The rows go straight to the driver's executemany (one prepared INSERT of plain
    values, none of them needing a type conversion): through the ORM's bulk insert, or
    even Core's, building the parameters of each row cost several times the insert
    itself (bench/bench_big_flow.py)."""
    connection = session.connection()
    compiled = insert(NOTIFICATIONS).compile(
        dialect=connection.dialect, column_keys=list(_RECIPIENT_COLUMNS)
    )
    # Positional drivers (SQLite) take tuples in the statement's order; named ones
    # (psycopg) dicts.
    order = None
    if compiled.positiontup is not None:
        order = [_RECIPIENT_COLUMNS.index(name) for name in compiled.positiontup]
        if order == sorted(order):
            order = []  # already in our order
    pending = Outcome.PENDING.value
    # What every row of the flow shares; created_at as the dialect stores it (the raw
    # driver call skips SQLAlchemy's type conversion).
    column_type = NOTIFICATIONS.c.created_at.type
    to_driver = column_type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    created_at = to_driver(utcnow()) if to_driver else utcnow()
    shared = (flow.id, flow.service_id, flow.created_by, created_at, flow.feature_level.value)
    total = 0
    for chunk in iter_recipient_chunks(content, filename, options):
        if chunk.empty:
            continue
        chunk = chunk[_CHUNK_COLUMNS].astype(object).where(chunk[_CHUNK_COLUMNS].notna(), None)
        rows = [
            (
                *shared,
                int(row),
                fiscal_code,
                subject,
                markdown,
                None if amount is None else int(amount),
                notice_number,
                due_date,
                extra or "{}",
                pending,
                0,
                False,
            )
            for row, fiscal_code, subject, markdown, amount, notice_number, due_date, extra in zip(
                *(chunk[column].tolist() for column in _CHUNK_COLUMNS), strict=True
            )
        ]
        del chunk
        if order == []:
            params: list[Any] = rows
        elif order is not None:
            params = [tuple(r[i] for i in order) for r in rows]
        else:
            params = [dict(zip(_RECIPIENT_COLUMNS, r, strict=True)) for r in rows]
        connection.exec_driver_sql(compiled.string, params)
        total += len(rows)
    return total


def check_flow_file(
    session: Session,
    actor: Actor,
    service_id: int,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates = Templates(),
) -> ValidationReport:
    """The validation report of a file for a service, without importing anything."""
    service = active_service(session, actor, service_id)
    return validate_file(_read_source(source), filename, _file_options(service, templates))


def replace_recipients(
    session: Session,
    actor: Actor,
    flow_id: int,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates = Templates(),
) -> Flow:
    """Swaps the file of a flow in preparation: the old rows go only if the new file is clean."""
    with recording(
        session,
        actor,
        AuditAction.FLOW_REPLACE_FILE,
        f"flusso n. {flow_id}",
        f"File «{Path(filename).name}».",
    ) as entry:
        flow = flow_for_send(session, actor, flow_id)
        entry.target = f"flusso n. {flow.id} «{flow.name}»"
        if flow.state != FlowState.INACTIVE:
            raise Conflict("Si possono sostituire i destinatari solo di un flusso «Inattivo».")
        service = active_service(session, actor, flow.service_id)
        content = _read_source(source)
        file_options = _file_options(service, templates)
        report = validate_file(content, filename, file_options)
        if not report.usable or report.has_errors:
            raise FlowFileRefused(report)
        before = flow.recipients_total
        session.query(Notification).filter(Notification.flow_id == flow.id).delete()
        flow.source_filename = Path(filename).name
        flow.source_checksum = checksum(content)
        flow.subject_template = templates.subject or None
        flow.text_template = templates.text or None
        flow.recipients_total = _insert_recipients(session, flow, content, filename, file_options)
        entry.detail = (
            f"File «{flow.source_filename}»: {flow.recipients_total} destinatari (prima {before})."
        )
        return flow
