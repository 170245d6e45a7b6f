"""Writing the rows' changes (outcomes of sends and checks, status reads) in bulk: the
dispatcher's most frequent statement, so built once per shape of change and run with the
values the rows share written into it. Takes the caller's session or connection, never commits.

Every write is fenced: it lands only while the row is still the writer's. A worker whose
request outlived its lease (a stalled process, a network that held the answer) may come
back after another worker took the account over and an operator decided what to do with
the row («Reinvia», «Segna come inviato»); its late outcome must not overwrite that
decision. The fence is part of the same UPDATE (a WHERE on the row's worker and attempt,
or on the status read it started from), so it costs no round trip; a fenced-out write is
dropped and logged, never raised (the rest of the chunk is written), and the row keeps
the newer decision.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    false,
    literal_column,
    null,
    or_,
    select,
    true,
    update,
)

from appio_core.notifications.change import KEEP, NotificationChange
from appio_core.storage.db import Executor, connection_of, rowcount
from appio_core.storage.models import NOTIFICATIONS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """A worker's fence: the row is still claimed by `worker_id`, with the attempts this
    worker left it with (`send_started_at` counts one more; a takeover clears the worker,
    a later claim of the same worker has counted another attempt)."""

    worker_id: str
    attempts: Mapping[int, int]  # row id -> attempts


@dataclass(frozen=True)
class StatusRead:
    """A status read's fence: no other read («Aggiorna stato», another worker) has been
    written on the row since this one read it."""

    checked_at: Mapping[int, datetime | None]  # row id -> status_checked_at as read


Fence = Claim | StatusRead


def write_changes(
    db: Executor, changes: Mapping[int, NotificationChange], now: datetime, fence: Fence
) -> set[int]:
    """Stores the rows' changes (the row leaves its worker): one executemany per shape of
    values, with the values every row of the shape shares written into the statement.
    Returns the rows whose change was dropped by the fence (logged)."""
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
    for row_id, change in changes.items():
        params = change.columns()
        params["worker_id"] = None
        params["updated_at"] = now
        groups.setdefault(tuple(sorted(params)), []).append((row_id, params))
    # A session's connection, same transaction: the ORM's execute path costs more per call
    # than SQLite's work for these Core statements (bench/bench_dispatch.py).
    connection = connection_of(db)
    claimed = isinstance(fence, Claim)
    written = 0
    for shape, rows in groups.items():
        first = rows[0][1]
        shared = tuple(
            (name, first[name])
            for name in shape
            if _constant(first[name]) and all(params[name] == first[name] for _, params in rows)
        )
        inlined = {name for name, _ in shared}
        bound = tuple(name for name in shape if name not in inlined)
        values = [{f"v_{k}": params[k] for k in bound} for _, params in rows]
        for (row_id, _), value in zip(rows, values, strict=True):
            value["row_id"] = row_id
            if isinstance(fence, Claim):
                value["f_worker"] = fence.worker_id
                value["f_attempts"] = fence.attempts[row_id]
            else:
                value["f_checked"] = fence.checked_at[row_id]
        written += rowcount(connection.execute(_update_fenced(bound, shared, claimed), values))
    if written == len(changes):
        return set()
    return _dropped(connection, changes, now, fence)


def _dropped(
    connection: Connection, changes: Mapping[int, NotificationChange], now: datetime, fence: Fence
) -> set[int]:
    """The rows the fence kept this write from (the rare path: one more query). Those
    written carry this write's `updated_at`; the others were changed by someone else."""
    table = NOTIFICATIONS
    dropped = set(
        connection.scalars(
            select(table.c.id).where(
                table.c.id.in_(list(changes)),
                or_(table.c.updated_at.is_(None), table.c.updated_at != now),
            )
        )
    )
    for row_id in sorted(dropped):
        change = changes[row_id]
        if isinstance(fence, Claim):
            log.warning(
                "late write dropped: notification %s is no longer %s's (taken over, or"
                " decided by an operator meanwhile); not written: outcome %s%s",
                row_id,
                fence.worker_id,
                "unchanged" if change.outcome is KEEP else change.outcome,
                "" if change.io_message_id is KEEP else f", IO message id {change.io_message_id}",
            )
        else:
            log.warning(
                "late status read dropped: notification %s was read again meanwhile; not"
                " written: IO status %s",
                row_id,
                "unread" if change.io_status is KEEP else change.io_status,
            )
    return dropped


def _constant(value: object) -> bool:
    """Values that may be written into a statement: NULL, booleans, numbers and the
    states of our own enums. Never text from outside (IO's error details), nor dates."""
    return value is None or isinstance(value, bool | int | StrEnum)


@functools.lru_cache(maxsize=256)
def _update_fenced(
    bound: tuple[str, ...], shared: tuple[tuple[str, object], ...], claimed: bool
) -> Any:
    """The UPDATE of one shape of change, built once. Each shared value is a constant in
    the SQL, so its column costs nothing per row: an accepted message binds half of its
    columns (bench/bench_dispatch.py). The fence is two more conditions on the row the
    primary key already found."""
    table = NOTIFICATIONS
    values: dict[str, Any] = {k: bindparam(f"v_{k}") for k in bound}
    for name, value in shared:
        values[name] = _sql_constant(value)
    fence: list[ColumnElement[bool]] = (
        [
            table.c.worker_id == bindparam("f_worker"),
            table.c.attempts == bindparam("f_attempts"),
        ]
        if claimed
        else [table.c.status_checked_at.is_not_distinct_from(bindparam("f_checked"))]
    )
    return update(table).where(table.c.id == bindparam("row_id"), *fence).values(values)


def _sql_constant(value: object) -> Any:
    if value is None:
        return null()
    if isinstance(value, bool):
        return true() if value else false()
    if isinstance(value, StrEnum):
        assert "'" not in value.value  # our own states: no quoting needed
        return literal_column(f"'{value.value}'")
    assert isinstance(value, int)
    return literal_column(str(value))
