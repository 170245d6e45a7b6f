"""Flows: import a recipient file, move through the states, and the operators' actions.

Every function takes the caller's session and the acting operator and never commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import (
    Actor,
    enabled_service_ids,
    require_service_read,
    require_service_send,
)
from appio_core.domain import (
    FINAL_OUTCOMES,
    POSITIVE_OUTCOMES,
    FeatureLevel,
    FlowState,
    Natura,
    Outcome,
    can_move,
)
from appio_core.errors import AppError, Conflict, InvalidInput, NotFound
from appio_core.recipient_file.report import ValidationReport
from appio_core.recipient_file.validation import FileOptions, iter_recipient_chunks, validate_file
from appio_core.storage.db import rowcount
from appio_core.storage.models import NOTIFICATIONS, Flow, Notification, Service, utcnow

ROME = ZoneInfo("Europe/Rome")


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


class SameFileSentToday(Conflict):
    code = "file_gia_inviato"


@dataclass(frozen=True)
class FlowView:
    id: int
    name: str
    description: str
    natura: str
    service_id: int
    service_name: str
    state: FlowState
    created_by: str
    created_at: datetime
    activated_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    source_filename: str
    check_profile: bool
    feature_level: str
    scheduled_at: datetime | None
    recipients_total: int
    counts: dict[Outcome, int] = field(default_factory=dict)
    retryable_failures: int = 0  # «errore» rows that «reinvia falliti» would send again


def _read_source(source: Path | bytes | BinaryIO) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, Path):
        return source.read_bytes()
    return source.read()


def checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _active_service(session: Session, actor: Actor, service_id: int) -> Service:
    service = session.get(Service, service_id)
    if service is None:
        raise NotFound("Servizio non trovato.")
    require_service_send(session, actor, service.id)
    if not service.active:
        raise Conflict(f"Il servizio «{service.name}» è disattivato: riattivalo per usarlo.")
    return service


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
    service = _active_service(session, actor, service_id)
    _check_options(name, natura, options)
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
    service = _active_service(session, actor, service_id)
    return validate_file(_read_source(source), filename, _file_options(service, templates))


def _flow(session: Session, flow_id: int) -> Flow:
    flow = session.get(Flow, flow_id)
    if flow is None:
        raise NotFound(f"Flusso {flow_id} non trovato.")
    return flow


def _flow_for_send(session: Session, actor: Actor, flow_id: int) -> Flow:
    flow = _flow(session, flow_id)
    require_service_send(session, actor, flow.service_id)
    return flow


def _move(flow: Flow, target: FlowState) -> None:
    source = FlowState(flow.state)
    if not can_move(source, target):
        raise Conflict(f"Il flusso è «{source.value}»: non può passare a «{target.value}».")
    flow.state = target


def replace_recipients(
    session: Session,
    actor: Actor,
    flow_id: int,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates = Templates(),
) -> Flow:
    """Swaps the file of a flow in preparation: the old rows go only if the new file is clean."""
    flow = _flow_for_send(session, actor, flow_id)
    if flow.state != FlowState.INACTIVE:
        raise Conflict("Si possono sostituire i destinatari solo di un flusso «Inattivo».")
    service = _active_service(session, actor, flow.service_id)
    content = _read_source(source)
    file_options = _file_options(service, templates)
    report = validate_file(content, filename, file_options)
    if not report.usable or report.has_errors:
        raise FlowFileRefused(report)
    session.query(Notification).filter(Notification.flow_id == flow.id).delete()
    flow.source_filename = Path(filename).name
    flow.source_checksum = checksum(content)
    flow.subject_template = templates.subject or None
    flow.text_template = templates.text or None
    flow.recipients_total = _insert_recipients(session, flow, content, filename, file_options)
    return flow


def activate(session: Session, actor: Actor, flow_id: int) -> Flow:
    flow = _flow_for_send(session, actor, flow_id)
    if flow.recipients_total == 0:
        raise Conflict("Il flusso non ha destinatari: carica un file prima di attivarlo.")
    _move(flow, FlowState.ACTIVE)
    flow.activated_at = utcnow()
    return flow


def deactivate(session: Session, actor: Actor, flow_id: int) -> Flow:
    flow = _flow_for_send(session, actor, flow_id)
    _move(flow, FlowState.INACTIVE)
    flow.activated_at = None
    return flow


def send(session: Session, actor: Actor, flow_id: int, *, force: bool = False) -> Flow:
    """Hands the flow to the dispatcher. A file already sent today for the same service
    needs `force` (the operator's explicit confirmation)."""
    flow = _flow_for_send(session, actor, flow_id)
    _active_service(session, actor, flow.service_id)
    if FlowState(flow.state) != FlowState.ACTIVE:
        raise Conflict(f"Il flusso è «{flow.state}»: si può inviare solo un flusso «Attivo».")
    if not force:
        twin = same_file_sent_today(session, flow)
        if twin is not None:
            raise SameFileSentToday(
                f"Lo stesso file è già stato inviato oggi per questo servizio (flusso "
                f"n. {twin.id} «{twin.name}»). Conferma se vuoi inviarlo di nuovo."
            )
    _move(flow, FlowState.SENDING)
    flow.started_at = utcnow()
    return flow


def same_file_sent_today(session: Session, flow: Flow, now: datetime | None = None) -> Flow | None:
    now = now or utcnow()
    midnight = now.astimezone(ROME).replace(hour=0, minute=0, second=0, microsecond=0)
    return session.scalar(
        select(Flow)
        .where(
            Flow.id != flow.id,
            Flow.service_id == flow.service_id,
            Flow.source_checksum == flow.source_checksum,
            Flow.started_at >= midnight,
        )
        .order_by(Flow.started_at.desc())
        .limit(1)
    )


def pause(session: Session, actor: Actor, flow_id: int) -> Flow:
    flow = _flow_for_send(session, actor, flow_id)
    _move(flow, FlowState.PAUSED)
    return flow


def resume(session: Session, actor: Actor, flow_id: int) -> Flow:
    """Sending goes on with the rows still to send; what was sent is never sent again."""
    flow = _flow_for_send(session, actor, flow_id)
    _move(flow, FlowState.SENDING)
    return flow


def cancel(session: Session, actor: Actor, flow_id: int) -> Flow:
    """Stops the flow for good; the rows not yet sent stay «da inviare», sent ones stay sent."""
    flow = _flow_for_send(session, actor, flow_id)
    _move(flow, FlowState.CANCELLED)
    flow.finished_at = utcnow()
    return flow


def retry_failed(session: Session, actor: Actor, flow_id: int) -> int:
    """«Reinvia falliti»: only the rows whose failure was temporary (IO busy or unreachable)."""
    flow = _flow_for_send(session, actor, flow_id)
    if FlowState(flow.state) != FlowState.INCOMPLETE:
        raise Conflict("Si possono reinviare i falliti solo di un flusso «Invio incompleto».")
    count = rowcount(
        session.execute(
            update(Notification)
            .where(
                Notification.flow_id == flow.id,
                Notification.outcome == Outcome.ERROR,
                Notification.retryable.is_(True),
                Notification.io_message_id.is_(None),
            )
            .values(
                outcome=Outcome.PENDING,
                attempts=0,
                next_attempt_at=None,
                retryable=False,
                send_started_at=None,
                error_detail=None,
                updated_at=utcnow(),
            )
        )
    )
    if count == 0:
        raise Conflict("Nessun destinatario da reinviare: i falliti hanno errori definitivi.")
    _move(flow, FlowState.SENDING)
    return count


def _uncertain(session: Session, flow: Flow, recipient_ids: Sequence[int]) -> list[int]:
    ids = list(
        session.scalars(
            select(Notification.id).where(
                Notification.flow_id == flow.id,
                Notification.outcome == Outcome.UNCERTAIN,
                Notification.id.in_(recipient_ids),
            )
        )
    )
    if not ids:
        raise Conflict("Nessuno dei destinatari scelti ha esito incerto.")
    return ids


def resend_uncertain(
    session: Session, actor: Actor, flow_id: int, recipient_ids: Sequence[int]
) -> int:
    """The operator decided: these «esito incerto» rows are sent again."""
    flow = _flow_for_send(session, actor, flow_id)
    ids = _uncertain(session, flow, recipient_ids)
    session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(
            outcome=Outcome.PENDING,
            next_attempt_at=None,
            send_started_at=None,
            retryable=False,
            updated_at=utcnow(),
        )
    )
    if FlowState(flow.state) in (FlowState.INCOMPLETE, FlowState.SENT):
        _move(flow, FlowState.SENDING)
    return len(ids)


def mark_uncertain_sent(
    session: Session, actor: Actor, flow_id: int, recipient_ids: Sequence[int]
) -> int:
    """The operator decided: these «esito incerto» rows did reach IO."""
    flow = _flow_for_send(session, actor, flow_id)
    ids = _uncertain(session, flow, recipient_ids)
    session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(
            outcome=Outcome.ACCEPTED,
            error_detail=f"Segnato come inviato da {actor.username}.",
            updated_at=utcnow(),
        )
    )
    refresh_state(session, flow)
    return len(ids)


def outcome_counts(session: Session, flow_id: int) -> dict[Outcome, int]:
    rows = session.execute(
        select(Notification.outcome, func.count())
        .where(Notification.flow_id == flow_id)
        .group_by(Notification.outcome)
    )
    return {Outcome(outcome): count for outcome, count in rows}


def refresh_state(session: Session, flow: Flow) -> None:
    """Moves a flow whose recipients all have a final outcome to Inviato or Invio incompleto
    (and an Inviato flow to Invio incompleto when a status read brought a negative one)."""
    state = FlowState(flow.state)
    if state not in (FlowState.SENDING, FlowState.INCOMPLETE, FlowState.SENT):
        return
    counts = outcome_counts(session, flow.id)
    if any(counts.get(o, 0) for o in (Outcome.PENDING, Outcome.SENDING)):
        return
    negative = any(n for o, n in counts.items() if o in FINAL_OUTCOMES - POSITIVE_OUTCOMES)
    target = FlowState.INCOMPLETE if negative else FlowState.SENT
    if target != state and can_move(state, target):
        flow.state = target
        if state == FlowState.SENDING:
            flow.finished_at = utcnow()


def _view(session: Session, flow: Flow, with_counts: bool) -> FlowView:
    return FlowView(
        id=flow.id,
        name=flow.name,
        description=flow.description,
        natura=flow.natura,
        service_id=flow.service_id,
        service_name=flow.service.name,
        state=FlowState(flow.state),
        created_by=flow.created_by,
        created_at=flow.created_at,
        activated_at=flow.activated_at,
        started_at=flow.started_at,
        finished_at=flow.finished_at,
        source_filename=flow.source_filename,
        check_profile=flow.check_profile,
        feature_level=flow.feature_level,
        scheduled_at=flow.scheduled_at,
        recipients_total=flow.recipients_total,
        counts=outcome_counts(session, flow.id) if with_counts else {},
    )


def get_flow(session: Session, actor: Actor, flow_id: int) -> FlowView:
    flow = _flow(session, flow_id)
    require_service_read(session, actor, flow.service_id)
    view = _view(session, flow, with_counts=True)
    if not view.counts.get(Outcome.ERROR):
        return view
    retryable = session.scalar(
        select(func.count()).where(
            Notification.flow_id == flow.id,
            Notification.outcome == Outcome.ERROR,
            Notification.retryable.is_(True),
        )
    )
    return replace(view, retryable_failures=retryable or 0)


@dataclass(frozen=True)
class FlowFilters:
    text: str = ""  # in the name or description
    state: FlowState | None = None
    natura: str | None = None
    service_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive
    limit: int = 500


def search_flows(session: Session, actor: Actor, filters: FlowFilters) -> list[FlowView]:
    """The archive of flows the actor may see, newest first."""
    stmt = select(Flow).order_by(Flow.created_at.desc(), Flow.id.desc()).limit(filters.limit)
    allowed = enabled_service_ids(session, actor)
    if allowed is not None:
        stmt = stmt.where(Flow.service_id.in_(allowed))
    if filters.text.strip():
        like = f"%{filters.text.strip().lower()}%"
        stmt = stmt.where(
            func.lower(Flow.name).like(like) | func.lower(Flow.description).like(like)
        )
    if filters.state is not None:
        stmt = stmt.where(Flow.state == filters.state)
    if filters.natura:
        stmt = stmt.where(Flow.natura == filters.natura)
    if filters.service_id is not None:
        stmt = stmt.where(Flow.service_id == filters.service_id)
    if filters.created_from is not None:
        stmt = stmt.where(Flow.created_at >= filters.created_from)
    if filters.created_to is not None:
        stmt = stmt.where(Flow.created_at < filters.created_to)
    return [_view(session, f, with_counts=False) for f in session.scalars(stmt)]


def list_recipients(
    session: Session,
    actor: Actor,
    flow_id: int,
    *,
    outcome: Outcome | None = None,
    fiscal_code: str = "",
    limit: int = 1000,
    offset: int = 0,
) -> list[Notification]:
    flow = _flow(session, flow_id)
    require_service_read(session, actor, flow.service_id)
    stmt = (
        select(Notification)
        .where(Notification.flow_id == flow_id)
        .order_by(Notification.row_number)
        .limit(limit)
        .offset(offset)
    )
    if outcome is not None:
        stmt = stmt.where(Notification.outcome == outcome)
    if fiscal_code.strip():
        stmt = stmt.where(Notification.fiscal_code == fiscal_code.strip().upper())
    return list(session.scalars(stmt))
