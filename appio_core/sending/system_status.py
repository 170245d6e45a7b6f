"""«Stato del sistema» (administrators): the workers and their heartbeats, who holds which
IO account, and each account's queue, request rate against its limit and 429s.

Read-only views of what the workers write (heartbeat.py, leases, the request counts);
nothing here changes the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, require_admin
from appio_core.domain import FlowState, Outcome
from appio_core.storage.models import Flow, IoAccount, Notification, Service, utcnow
from appio_core.storage.runtime_models import AccountLease, AccountRequestCount, WorkerHeartbeat

RATE_MINUTES = 5  # the request rate is the average over the last minutes (and this one)
THROTTLED_WINDOW = timedelta(hours=1)


class WorkerState(StrEnum):
    ALIVE = "attivo"
    SILENT = "silenzioso"  # no heartbeat within its lease time: dead or stuck
    STOPPED = "fermato"  # stopped cleanly


@dataclass(frozen=True)
class WorkerView:
    worker_id: str
    host: str
    pid: int
    started_at: datetime
    last_seen_at: datetime
    state: WorkerState
    accounts: tuple[str, ...]  # names of the accounts held at the last heartbeat


@dataclass(frozen=True)
class LeaseView:
    account: str
    owner: str | None
    expires_at: datetime | None
    valid: bool  # held and not expired


@dataclass(frozen=True)
class AccountLoad:
    account: str
    limit_requests: int  # 0: no limit
    limit_window_seconds: int
    to_send: int  # rows «da inviare» or «in invio» of the flows «In invio»
    rate_per_second: float  # requests to IO, average over the last RATE_MINUTES
    throttled_last_hour: int  # 429s
    requests_last_hour: int

    @property
    def limit_per_second(self) -> float | None:
        if self.limit_requests == 0:
            return None
        return self.limit_requests / self.limit_window_seconds

    @property
    def limit_share(self) -> float | None:
        """The rate as a share of the limit (1.0: the whole quota)."""
        limit = self.limit_per_second
        return None if limit is None else self.rate_per_second / limit


@dataclass(frozen=True)
class SystemStatus:
    at: datetime
    workers: list[WorkerView]
    leases: list[LeaseView]
    accounts: list[AccountLoad]


def system_status(session: Session, actor: Actor, now: datetime | None = None) -> SystemStatus:
    require_admin(session, actor, "vedere lo stato del sistema")
    now = now or utcnow()
    names = {row.id: row.name for row in session.execute(select(IoAccount.id, IoAccount.name))}
    return SystemStatus(
        at=now,
        workers=_workers(session, now, names),
        leases=_leases(session, now, names),
        accounts=_accounts(session, now),
    )


def _worker_state(row: WorkerHeartbeat, now: datetime) -> WorkerState:
    if row.stopped_at is not None:
        return WorkerState.STOPPED
    return WorkerState.ALIVE if row.alive_until >= now else WorkerState.SILENT


def _workers(session: Session, now: datetime, names: dict[int, str]) -> list[WorkerView]:
    rows = session.scalars(
        select(WorkerHeartbeat).order_by(
            WorkerHeartbeat.last_seen_at.desc(), WorkerHeartbeat.worker_id
        )
    )
    views = []
    for row in rows:
        held = [int(part) for part in row.accounts.split(",") if part]
        views.append(
            WorkerView(
                worker_id=row.worker_id,
                host=row.host,
                pid=row.pid,
                started_at=row.started_at,
                last_seen_at=row.last_seen_at,
                state=_worker_state(row, now),
                accounts=tuple(names.get(a, str(a)) for a in held),
            )
        )
    # The live ones first, then the silent ones (what needs looking at), then the stopped.
    order = {WorkerState.ALIVE: 0, WorkerState.SILENT: 1, WorkerState.STOPPED: 2}
    return sorted(views, key=lambda v: order[v.state])


def _leases(session: Session, now: datetime, names: dict[int, str]) -> list[LeaseView]:
    leases = session.scalars(select(AccountLease)).all()
    views = [
        LeaseView(
            account=names.get(lease.account_id, str(lease.account_id)),
            owner=lease.owner,
            expires_at=lease.expires_at,
            valid=lease.owner is not None
            and lease.expires_at is not None
            and lease.expires_at >= now,
        )
        for lease in leases
    ]
    return sorted(views, key=lambda v: v.account)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _accounts(session: Session, now: datetime) -> list[AccountLoad]:
    to_send: dict[int, int] = {
        account_id: count
        for account_id, count in session.execute(
            select(Service.account_id, func.count())
            .select_from(Notification)
            .join(Flow, Flow.id == Notification.flow_id)
            .join(Service, Service.id == Flow.service_id)
            .where(
                Flow.state == FlowState.SENDING,
                Notification.outcome.in_((Outcome.PENDING, Outcome.SENDING)),
            )
            .group_by(Service.account_id)
        )
    }
    rate_since = _minute(now) - timedelta(minutes=RATE_MINUTES)
    hour_since = now - THROTTLED_WINDOW
    recent = {
        account_id: (requests or 0, throttled or 0)
        for account_id, requests, throttled in session.execute(
            select(
                AccountRequestCount.account_id,
                func.sum(AccountRequestCount.requests),
                func.sum(AccountRequestCount.throttled),
            )
            .where(AccountRequestCount.minute >= rate_since)
            .group_by(AccountRequestCount.account_id)
        )
    }
    hour = {
        account_id: (requests or 0, throttled or 0)
        for account_id, requests, throttled in session.execute(
            select(
                AccountRequestCount.account_id,
                func.sum(AccountRequestCount.requests),
                func.sum(AccountRequestCount.throttled),
            )
            .where(AccountRequestCount.minute >= _minute(hour_since))
            .group_by(AccountRequestCount.account_id)
        )
    }
    # The last full minutes and the seconds of this one: the time the counts cover.
    covered = (now - rate_since).total_seconds()
    return [
        AccountLoad(
            account=account.name,
            limit_requests=account.rate_limit_requests,
            limit_window_seconds=account.rate_limit_window_seconds,
            to_send=to_send.get(account.id, 0),
            rate_per_second=recent.get(account.id, (0, 0))[0] / covered,
            throttled_last_hour=hour.get(account.id, (0, 0))[1],
            requests_last_hour=hour.get(account.id, (0, 0))[0],
        )
        for account in session.scalars(select(IoAccount).order_by(IoAccount.name))
    ]
