"""Turning a recipient file into a flow: check it, import it all or nothing, replace it.

Every function takes the caller's session and the acting operator and never commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import (
    Actor,
)
from appio_core.domain import (
    FeatureLevel,
    FlowState,
    Natura,
    Outcome,
)
from appio_core.errors import AppError, Conflict, InvalidInput
from appio_core.flows.access import active_service, flow_for_send
from appio_core.recipient_file.report import ValidationReport
from appio_core.recipient_file.validation import (
    FileOptions,
    open_recipient_file,
    validate_file,
)
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
    service = active_service(session, actor, service_id)
    _check_options(name, natura, options)
    content = _payload(source)
    file_options = _file_options(service, templates)
    with (
        ThreadPoolExecutor(max_workers=1) as hasher,
        open_recipient_file(content, filename, file_options, deliver=True) as opened,
    ):
        # The child reads and checks the file meanwhile; hashing releases the GIL.
        digest = hasher.submit(checksum, content)
        if opened.report.has_errors:
            raise FlowFileRefused(opened.report)
        flow = _new_flow(
            session, actor, service, name, natura, filename, digest.result(), templates, options
        )
        flow.recipients_total = _insert_recipients(session, flow, opened.recipients())
    return flow


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
    )
    session.add(flow)
    session.flush()
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
# The columns a recipient file gives, in _RECIPIENT_COLUMNS order (recipients.SCHEMA).
_FILE_COLUMNS = _RECIPIENT_COLUMNS[5:13]


def _insert_recipients(session: Session, flow: Flow, chunks: Iterator[pa.Table]) -> int:
    """Writes the recipients as the sandboxed reader hands them over, chunk by chunk, in
    the caller's transaction: memory stays bounded whatever the file's size, and a failure
    halfway leaves nothing once the caller rolls back.

    PostgreSQL takes them through COPY, each chunk one text block built by pyarrow kernels;
    SQLite through the driver's executemany with one prepared INSERT: through the ORM's
    bulk insert, or even Core's, building each row's parameters cost several times the
    insert itself (bench/bench_import.py)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _copy_recipients(connection, flow, chunks)
    return _execute_many(connection, flow, chunks)


def _shared(connection: Connection, flow: Flow) -> tuple[Any, ...]:
    """What every row of the flow shares, in _RECIPIENT_COLUMNS order."""
    return (flow.id, flow.service_id, flow.created_by, utcnow(), flow.feature_level.value)


def _execute_many(connection: Connection, flow: Flow, chunks: Iterator[pa.Table]) -> int:
    compiled = insert(NOTIFICATIONS).compile(
        dialect=connection.dialect, column_keys=list(_RECIPIENT_COLUMNS)
    )
    # Positional drivers (SQLite) take tuples in the statement's order.
    assert compiled.positiontup is not None
    order = [_RECIPIENT_COLUMNS.index(name) for name in compiled.positiontup]
    # created_at as the dialect stores it: the raw driver call skips SQLAlchemy's types.
    column_type = NOTIFICATIONS.c.created_at.type
    to_driver = column_type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    shared = list(_shared(connection, flow))
    shared[3] = to_driver(shared[3]) if to_driver else shared[3]
    tail = (Outcome.PENDING.value, 0, False)
    total = 0
    for chunk in chunks:
        columns = [chunk.column(name).to_pylist() for name in _FILE_COLUMNS]
        rows = [(*shared, *values, *tail) for values in zip(*columns, strict=True)]
        if order != sorted(order):
            rows = [tuple(r[i] for i in order) for r in rows]
        connection.exec_driver_sql(compiled.string, rows)
        total += chunk.num_rows
    return total


def _copy_recipients(connection: Connection, flow: Flow, chunks: Iterator[pa.Table]) -> int:
    driver = connection.connection.driver_connection
    assert driver is not None
    names = ", ".join(_RECIPIENT_COLUMNS)
    flow_id, service_id, created_by, created_at, feature_level = _shared(connection, flow)
    # COPY's text format: tab-separated, \N for NULL, backslash escapes; the fixed columns
    # are the same text on every row.
    before = _copy_text([str(flow_id), str(service_id), created_by, created_at.isoformat()])
    before += "\t" + _copy_text([feature_level])
    after = _copy_text([Outcome.PENDING.value, "0", "f"])
    total = 0
    with driver.cursor() as cursor, cursor.copy(f"COPY notifications ({names}) FROM STDIN") as copy:
        for chunk in chunks:
            copy.write(_copy_block(chunk, before, after))
            total += chunk.num_rows
    return total


def _copy_text(values: list[str]) -> str:
    return "\t".join(
        v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        for v in values
    )


def _copy_block(chunk: pa.Table, before: str, after: str) -> memoryview:
    text = pa.large_string()
    fields: list[pa.Array | pa.ChunkedArray | pa.Scalar] = [pa.scalar(before, text)]
    for name in _FILE_COLUMNS:
        column = chunk.column(name)
        if not pa.types.is_large_string(column.type):
            column = pc.cast(column, text)
        elif name != "fiscal_code":  # codes are [A-Z0-9]: nothing to escape
            for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                column = pc.replace_substring(column, raw, escaped)
        fields.append(pc.fill_null(column, "\\N"))
    fields.append(pa.scalar(after + "\n", text))
    lines = pc.binary_join_element_wise(*fields, pa.scalar("\t", text))
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    # The lines' characters, back to back, are the block: one buffer, no copy.
    _, offsets, data = lines.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])]


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
    return validate_file(_payload(source), filename, _file_options(service, templates))


def replace_recipients(
    session: Session,
    actor: Actor,
    flow_id: int,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates = Templates(),
) -> Flow:
    """Swaps the file of a flow in preparation: the old rows go only if the new file is clean."""
    flow = flow_for_send(session, actor, flow_id)
    if flow.state != FlowState.INACTIVE:
        raise Conflict("Si possono sostituire i destinatari solo di un flusso «Inattivo».")
    service = active_service(session, actor, flow.service_id)
    content = _payload(source)
    file_options = _file_options(service, templates)
    with open_recipient_file(content, filename, file_options, deliver=True) as opened:
        if opened.report.has_errors:
            raise FlowFileRefused(opened.report)
        session.query(Notification).filter(Notification.flow_id == flow.id).delete()
        flow.source_filename = Path(filename).name
        flow.source_checksum = checksum(content)
        flow.subject_template = templates.subject or None
        flow.text_template = templates.text or None
        flow.recipients_total = _insert_recipients(session, flow, opened.recipients())
    return flow
