"""The summaries recomputed from the rows, in the caller's transaction: what the triggers
keep must always equal this (tests/notifications/test_stats.py proves it after sends,
status reads, «Reinvia», «Segna come inviato» and the purge)."""

from __future__ import annotations

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from .models import COUNTERS, NOTIFICATION_COUNTS, NOTIFICATION_REACH, NOTIFICATION_REACH_MONTHS
from .sql import fill_from_rows


def rebuild(session: Session) -> None:
    """Empties the summaries and fills them from the notifications."""
    session.execute(delete(NOTIFICATION_COUNTS))
    session.execute(delete(NOTIFICATION_REACH))
    session.execute(delete(NOTIFICATION_REACH_MONTHS))
    for statement in fill_from_rows(session.get_bind().dialect.name):
        session.execute(text(statement))


Snapshot = tuple[
    dict[tuple[int, int, int], tuple[int, ...]],
    dict[tuple[int, int, str], tuple[int, int]],
    dict[tuple[int, int], tuple[int, int]],
]


def snapshot(session: Session) -> Snapshot:
    """The summaries as plain values, without the empty entries (to compare them)."""
    table = NOTIFICATION_COUNTS
    counts = {
        (row[0], row[1], row[2]): tuple(row[3:])
        for row in session.execute(
            select(table.c.day, table.c.service_id, table.c.flow_id, *table.c[COUNTERS])
        )
        if any(row[3:])
    }
    reach_table = NOTIFICATION_REACH
    reach = {
        (row[0], row[1], row[2]): (row[3], row[4]) for row in session.execute(select(reach_table))
    }
    months_table = NOTIFICATION_REACH_MONTHS
    months = {
        (row[0], row[1]): (row[2], row[3])
        for row in session.execute(select(months_table))
        if row[2] or row[3]
    }
    return counts, reach, months
