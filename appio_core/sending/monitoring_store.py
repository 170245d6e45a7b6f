"""What the workers record of themselves, for «Stato del sistema»: heartbeats, and each
account's requests (and 429s) per minute. Each function takes the caller's session and
never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from appio_core.storage.runtime_models import AccountRequestCount, WorkerHeartbeat


@dataclass(frozen=True)
class Beat:
    """What a worker says of itself on each heartbeat."""

    worker_id: str
    host: str
    pid: int
    started_at: datetime


def record_beat(
    session: Session, beat: Beat, now: datetime, alive_until: datetime, accounts: Sequence[int]
) -> None:
    row = session.get(WorkerHeartbeat, beat.worker_id)
    if row is None:
        row = WorkerHeartbeat(
            worker_id=beat.worker_id, host=beat.host, pid=beat.pid, started_at=beat.started_at
        )
        session.add(row)
    row.last_seen_at = now
    row.alive_until = alive_until
    row.accounts = ",".join(str(a) for a in sorted(accounts))


def record_stop(session: Session, worker_id: str, now: datetime) -> None:
    session.execute(
        update(WorkerHeartbeat)
        .where(WorkerHeartbeat.worker_id == worker_id)
        .values(stopped_at=now, last_seen_at=now, alive_until=now, accounts="")
    )


def workers_alive(session: Session, now: datetime) -> int:
    """The workers that gave a heartbeat within their lease time and have not stopped."""
    return (
        session.scalar(
            select(func.count())
            .select_from(WorkerHeartbeat)
            .where(WorkerHeartbeat.alive_until >= now, WorkerHeartbeat.stopped_at.is_(None))
        )
        or 0
    )


def add_request_counts(
    session: Session, counts: Mapping[int, Mapping[datetime, tuple[int, int]]]
) -> None:
    """Adds the requests (and 429s) of each account and minute to what other workers, or
    this one earlier, recorded for the same minute."""
    rows = [
        {"account_id": account_id, "minute": minute, "requests": sent, "throttled": throttled}
        for account_id, minutes in counts.items()
        for minute, (sent, throttled) in minutes.items()
    ]
    if not rows:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    table = cast(Table, AccountRequestCount.__table__)
    stmt = postgresql.insert(table) if postgres else sqlite.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["account_id", "minute"],
        set_={
            "requests": table.c.requests + stmt.excluded.requests,
            "throttled": table.c.throttled + stmt.excluded.throttled,
        },
    )
    session.execute(stmt, rows)


def prune_monitoring(session: Session, before: datetime) -> None:
    """Forgets the workers not seen, and the request counts, older than `before`."""
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen_at < before))
    session.execute(delete(AccountRequestCount).where(AccountRequestCount.minute < before))
