"""Writing a flow's recipients in bulk, as the sandboxed reader hands them over: binary COPY
on PostgreSQL (recipient_copy.py), the driver's executemany on SQLite, in the caller's
transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from appio_core.domain import Outcome
from appio_core.flows.recipient_copy import copy_recipients
from appio_core.storage.models import NOTIFICATIONS, Flow, utcnow
from appio_core.storage.subject_search import index_new_rows, last_id

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
    "invalid_after_due_date",
    "send_after",
    "outcome",
    "attempts",
    "retryable",
)
# The columns a recipient file gives, in _RECIPIENT_COLUMNS order (recipients.SCHEMA).
_FILE_COLUMNS = _RECIPIENT_COLUMNS[5:15]
# Moments as SQLite takes them in text: SQLAlchemy's own format (in UTC, as UTCDateTime
# writes them, so that comparisons with bound datetimes hold).
_SQLITE_MOMENT = "%Y-%m-%d %H:%M:%S"  # pyarrow's %S carries the microseconds


def _moments_as_text(chunk: pa.Table, form: str) -> pa.Table:
    position = chunk.schema.get_field_index("send_after")
    column = chunk.column(position)
    if column.null_count == len(column):
        text = pa.nulls(len(column), pa.large_string())
    else:
        text = pc.cast(pc.strftime(column, format=form), pa.large_string())
    return chunk.set_column(position, "send_after", text)


def insert_recipients(session: Session, flow: Flow, chunks: Iterator[pa.Table]) -> int:
    """Writes the recipients as the sandboxed reader hands them over, chunk by chunk, in
    the caller's transaction: memory stays bounded whatever the file's size, and a failure
    halfway leaves nothing once the caller rolls back.

    PostgreSQL takes them through one binary COPY (recipient_copy.py says why and how);
    SQLite through the driver's executemany with one prepared INSERT: through the ORM's
    bulk insert, or even Core's, building each row's parameters cost several times the
    insert itself (bench/bench_import.py)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _copy_recipients(connection, flow, chunks)
    before = last_id(connection)
    total = _execute_many(connection, flow, chunks)
    index_new_rows(connection, before)  # «Oggetto contiene»'s FTS table, in one statement
    return total


def _shared(flow: Flow) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """What every row of the flow shares: the columns before and after the file's own."""
    head = (flow.id, flow.service_id, flow.created_by, utcnow(), flow.feature_level.value)
    return head, (Outcome.PENDING.value, 0, False)


_IMPORT_CACHE_KIB = -65_536  # negative: KiB, as SQLite's PRAGMA cache_size reads it


def _execute_many(connection: Connection, flow: Flow, chunks: Iterator[pa.Table]) -> int:
    (flow_id, service_id, created_by, created_at, level), (outcome, attempts, retry) = _shared(flow)
    # created_at as the dialect stores it: the raw driver call skips SQLAlchemy's types.
    column_type = NOTIFICATIONS.c.created_at.type
    to_driver = column_type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    created_at = to_driver(created_at) if to_driver else created_at
    # The shared values are written into the statement as literals, so each row's parameters
    # are the file's eight columns as they come: zip() builds those tuples at C speed, where
    # a tuple of sixteen per row cost the parent a second and a half per million rows.
    shared = ", ".join(
        _sqlite_literal(v) for v in (flow_id, service_id, created_by, created_at, level)
    )
    tail = ", ".join(_sqlite_literal(v) for v in (outcome, attempts, retry))
    names = ", ".join(_RECIPIENT_COLUMNS)
    marks = ", ".join("?" * len(_FILE_COLUMNS))
    statement = f"INSERT INTO notifications ({names}) VALUES ({shared}, {marks}, {tail})"
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    # SQLite's default page cache is 2 MB: the indexes a million rows go into (the codici
    # fiscali in random order above all) then spill at every insert. 64 MB for this import
    # took a million rows from 23 s to 16 s here; the connection's own setting comes back.
    (previous_cache,) = cursor.execute("PRAGMA cache_size").fetchone()
    cursor.execute(f"PRAGMA cache_size={_IMPORT_CACHE_KIB}")
    total = 0
    try:
        for chunk in chunks:
            chunk = _moments_as_text(chunk, _SQLITE_MOMENT)
            cursor.executemany(
                statement, zip(*(chunk.column(n).to_pylist() for n in _FILE_COLUMNS), strict=True)
            )
            total += chunk.num_rows
    finally:
        cursor.execute(f"PRAGMA cache_size={int(previous_cache)}")
        cursor.close()
    return total


def _sqlite_literal(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _copy_recipients(connection: Connection, flow: Flow, chunks: Iterator[pa.Table]) -> int:
    driver = connection.connection.driver_connection
    assert driver is not None
    head, tail = _shared(flow)
    with driver.cursor() as cursor:
        return copy_recipients(
            cursor,
            _RECIPIENT_COLUMNS,
            head,
            _FILE_COLUMNS,
            tail,
            (flow.id, flow.service_id),
            chunks,
        )
