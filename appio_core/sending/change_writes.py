"""Writing the rows' changes (outcomes of sends and checks, status reads) in bulk: the
dispatcher's most frequent statement, so built once per shape of change and run with the
values the rows share written into it. Takes the caller's session or connection, never commits."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, false, literal_column, null, true, update

from appio_core.notifications.change import NotificationChange
from appio_core.storage.db import Executor, connection_of
from appio_core.storage.models import NOTIFICATIONS


def write_changes(db: Executor, changes: Mapping[int, NotificationChange], now: datetime) -> None:
    """Stores the rows' changes (the row leaves its worker): one executemany per shape of
    values, with the values every row of the shape shares written into the statement."""
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
    for row_id, change in changes.items():
        params = change.columns()
        params["worker_id"] = None
        params["updated_at"] = now
        groups.setdefault(tuple(sorted(params)), []).append((row_id, params))
    # A session's connection, same transaction: the ORM's execute path costs more per call
    # than SQLite's work for these Core statements (bench/bench_dispatch.py).
    connection = connection_of(db)
    for shape, rows in groups.items():
        first = rows[0][1]
        shared = tuple(
            (name, first[name])
            for name in shape
            if _constant(first[name]) and all(params[name] == first[name] for _, params in rows)
        )
        inlined = {name for name, _ in shared}
        bound = tuple(name for name in shape if name not in inlined)
        connection.execute(
            _update_by_id(bound, shared),
            [{"row_id": row_id, **{f"v_{k}": params[k] for k in bound}} for row_id, params in rows],
        )


def _constant(value: object) -> bool:
    """Values that may be written into a statement: NULL, booleans, numbers and the
    states of our own enums. Never text from outside (IO's error details), nor dates."""
    return value is None or isinstance(value, bool | int | StrEnum)


@functools.lru_cache(maxsize=256)
def _update_by_id(bound: tuple[str, ...], shared: tuple[tuple[str, object], ...]) -> Any:
    """The UPDATE of one shape of change, built once. Each shared value is a constant in
    the SQL, so its column costs nothing per row: an accepted message binds half of its
    columns (bench/bench_dispatch.py)."""
    table = NOTIFICATIONS
    values: dict[str, Any] = {k: bindparam(f"v_{k}") for k in bound}
    for name, value in shared:
        values[name] = _sql_constant(value)
    return update(table).where(table.c.id == bindparam("row_id")).values(values)


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
