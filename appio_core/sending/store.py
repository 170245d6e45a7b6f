"""Every statement the dispatcher runs: leases, claims, the commits around each send, the
outcomes, the status reads. Each function takes the caller's session and never commits
(the dispatcher's steps own their short transactions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from appio_core.accounts.security import KeyBox
from appio_core.accounts.service_keys import keys_for_sending
from appio_core.content import cta
from appio_core.domain import FeatureLevel, FlowState, Outcome
from appio_core.flows.actions import refresh_state
from appio_core.io.models import ApiKeys
from appio_core.storage.db import Executor, connection_of, rowcount
from appio_core.storage.models import FLOWS, NOTIFICATIONS, Flow, IoAccount, Notification, Service
from appio_core.storage.runtime_models import ACCOUNT_LEASES, AccountLease

CRASHED_DURING_SEND = (
    "L'invio è stato interrotto (arresto del worker) dopo la richiesta a IO: non sappiamo "
    "se IO abbia ricevuto il messaggio."
)


@dataclass(frozen=True)
class FlowWork:
    """A flow «In invio» of the account, as the dispatcher works on it."""

    id: int
    service_id: int
    check_profile: bool
    feature_level: FeatureLevel
    status_check_hours: int
    buttons: cta.Buttons = ()
    secure_channel: bool = False


@dataclass(frozen=True)
class Claimed:
    """A claimed row: what is needed to check, send and record it."""

    id: int
    fiscal_code: str
    subject: str
    markdown: str
    amount: int | None
    notice_number: str | None
    due_date: str | None
    attempts: int
    invalid_after_due_date: bool = False


# -- accounts and leases -------------------------------------------------------------------


def _sending_now(now: datetime) -> Any:
    return and_(
        Flow.state == FlowState.SENDING,
        or_(Flow.scheduled_at.is_(None), Flow.scheduled_at <= now),
    )


def accounts_with_work(session: Session, now: datetime) -> list[int]:
    """The accounts with a flow to send now or a message whose status is due."""
    sending = session.scalars(
        select(Service.account_id)
        .join(Flow, Flow.service_id == Service.id)
        .where(_sending_now(now))
        .distinct()
    )
    checking = session.scalars(
        select(Service.account_id)
        .join(Notification, Notification.service_id == Service.id)
        .where(Notification.next_status_check_at <= now)
        .distinct()
    )
    return sorted(set(sending) | set(checking))


def take_lease(
    session: Session, account_id: int, worker_id: str, now: datetime, expires: datetime
) -> bool:
    """The account's lease for `worker_id`, when free, expired or already its own."""
    if session.get(AccountLease, account_id) is None:
        try:
            with session.begin_nested():
                session.add(AccountLease(account_id=account_id))
        except IntegrityError:
            pass  # another worker created it at the same moment
    taken = session.execute(
        update(AccountLease)
        .where(
            AccountLease.account_id == account_id,
            or_(
                AccountLease.owner == worker_id,
                AccountLease.owner.is_(None),
                AccountLease.expires_at < now,
            ),
        )
        .values(owner=worker_id, expires_at=expires)
    )
    return bool(rowcount(taken))


# The statements run for every chunk of every batch, built once as Core statements with
# bound parameters: the ORM's update path (session synchronisation) and rebuilding a
# 32-value IN list cost more per chunk than SQLite's work (bench/bench_dispatch.py).
_RENEW_LEASE = (
    update(ACCOUNT_LEASES)
    .where(
        ACCOUNT_LEASES.c.account_id == bindparam("b_account_id"),
        ACCOUNT_LEASES.c.owner == bindparam("b_owner"),
    )
    .values(expires_at=bindparam("b_expires"))
)
_FLOW_STATE = select(FLOWS.c.state).where(FLOWS.c.id == bindparam("b_flow_id"))
_NOT_STARTED = and_(
    NOTIFICATIONS.c.id.in_(bindparam("b_ids", expanding=True)),
    NOTIFICATIONS.c.worker_id == bindparam("b_worker_id"),
    NOTIFICATIONS.c.outcome == Outcome.SENDING,
    NOTIFICATIONS.c.send_started_at.is_(None),
)
_MARK_SEND_STARTED = (
    update(NOTIFICATIONS)
    .where(_NOT_STARTED)
    .values(
        send_started_at=bindparam("b_now"),
        attempts=NOTIFICATIONS.c.attempts + 1,
        updated_at=bindparam("b_now"),
    )
)
_RELEASE_UNSTARTED = (
    update(NOTIFICATIONS)
    .where(_NOT_STARTED)
    .values(outcome=Outcome.PENDING, worker_id=None, updated_at=bindparam("b_now"))
)


def renew_lease(db: Executor, account_id: int, worker_id: str, expires: datetime) -> bool:
    """False when the lease is no longer this worker's."""
    renewed = db.execute(
        _RENEW_LEASE, {"b_account_id": account_id, "b_owner": worker_id, "b_expires": expires}
    )
    return bool(rowcount(renewed))


def release_leases(session: Session, accounts: Sequence[int], worker_id: str) -> None:
    session.execute(
        update(AccountLease)
        .where(AccountLease.account_id.in_(accounts), AccountLease.owner == worker_id)
        .values(owner=None, expires_at=None)
    )


def recover_orphans(
    session: Session, account_id: int, worker_id: str, now: datetime
) -> tuple[int, int]:
    """Rows left «in invio» by a worker that died: «esito incerto» when their send had
    started (IO may have the message), else «da inviare» again. Returns both counts."""
    flows = select(Flow.id).join(Service).where(Service.account_id == account_id)
    orphaned = and_(
        Notification.flow_id.in_(flows),
        Notification.outcome == Outcome.SENDING,
        or_(Notification.worker_id.is_(None), Notification.worker_id != worker_id),
    )
    uncertain = session.execute(
        update(Notification)
        .where(orphaned, Notification.send_started_at.is_not(None))
        .values(
            outcome=Outcome.UNCERTAIN,
            worker_id=None,
            error_detail=CRASHED_DURING_SEND,
            updated_at=now,
        )
    )
    requeued = session.execute(
        update(Notification)
        .where(orphaned, Notification.send_started_at.is_(None))
        .values(outcome=Outcome.PENDING, worker_id=None, updated_at=now)
    )
    return rowcount(uncertain), rowcount(requeued)


# -- IO access -----------------------------------------------------------------------------


def account(session: Session, account_id: int) -> IoAccount:
    found = session.get(IoAccount, account_id)
    assert found is not None
    return found


def service_keys(session: Session, service_id: int, box: KeyBox) -> ApiKeys:
    """The keys in the order to use them, read as a regeneration's switch expects
    (appio_core.accounts.key_regeneration): after the batch's rows are claimed."""
    return keys_for_sending(session, service_id, box)


# -- sending -------------------------------------------------------------------------------


def flows_to_send(session: Session, account_id: int, now: datetime) -> list[FlowWork]:
    """The account's flows «In invio» whose start has come, oldest first."""
    return [
        FlowWork(
            f.id,
            f.service_id,
            f.check_profile,
            f.feature_level,
            f.status_check_hours,
            cta.from_json(f.cta),
            f.secure_channel,
        )
        for f in session.scalars(
            select(Flow)
            .join(Service)
            .where(Service.account_id == account_id, _sending_now(now))
            .order_by(Flow.started_at, Flow.id)
        )
    ]


_CLAIM_CANDIDATES = (
    select(NOTIFICATIONS.c.id)
    .where(
        NOTIFICATIONS.c.flow_id == bindparam("b_flow_id"),
        NOTIFICATIONS.c.outcome == Outcome.PENDING,
        or_(
            NOTIFICATIONS.c.next_attempt_at.is_(None),
            NOTIFICATIONS.c.next_attempt_at <= bindparam("b_now"),
        ),
        # The row's own send date, from its file: not before it.
        or_(
            NOTIFICATIONS.c.send_after.is_(None),
            NOTIFICATIONS.c.send_after <= bindparam("b_now"),
        ),
    )
    .order_by(NOTIFICATIONS.c.id)
    .limit(bindparam("b_limit"))
)


def _take(chosen: ColumnElement[bool]) -> Any:
    """The claim: the chosen rows become «in invio» for this worker, their columns returned."""
    return (
        update(NOTIFICATIONS)
        .where(chosen, NOTIFICATIONS.c.outcome == Outcome.PENDING)
        .values(
            outcome=Outcome.SENDING,
            worker_id=bindparam("b_worker_id"),
            updated_at=bindparam("b_now"),
        )
        .returning(
            NOTIFICATIONS.c.id,
            NOTIFICATIONS.c.fiscal_code,
            NOTIFICATIONS.c.subject,
            NOTIFICATIONS.c.markdown,
            NOTIFICATIONS.c.amount,
            NOTIFICATIONS.c.notice_number,
            NOTIFICATIONS.c.due_date,
            NOTIFICATIONS.c.attempts,
            NOTIFICATIONS.c.invalid_after_due_date,
        )
    )


_TAKE = _take(NOTIFICATIONS.c.id.in_(_CLAIM_CANDIDATES))
# PostgreSQL: the candidates locked first, skipping those another worker's claim holds, so
# that neither waits on the other nor takes the same rows; then taken by id. As one
# statement (UPDATE ... WHERE id IN (SELECT ... LIMIT ... SKIP LOCKED)) PostgreSQL took more
# rows than the limit: nothing makes it run such a subquery only once (the dispatcher's
# tests on PostgreSQL caught it).
_LOCK_CANDIDATES = _CLAIM_CANDIDATES.with_for_update(skip_locked=True)
_TAKE_BY_ID = _take(NOTIFICATIONS.c.id.in_(bindparam("b_ids", expanding=True)))


def claim(db: Executor, flow_id: int, worker_id: str, now: datetime, limit: int) -> list[Claimed]:
    """Up to `limit` rows «da inviare» of the flow, now «in invio» for this worker, in file
    order: one UPDATE ... RETURNING on SQLite (3.35 or later), two statements on PostgreSQL."""
    connection = connection_of(db)
    chosen = {"b_flow_id": flow_id, "b_worker_id": worker_id, "b_now": now, "b_limit": limit}
    if connection.dialect.name == "postgresql":
        ids = list(connection.scalars(_LOCK_CANDIDATES, chosen))
        if not ids:
            return []
        taken = connection.execute(_TAKE_BY_ID, {**chosen, "b_ids": ids})
    else:
        taken = connection.execute(_TAKE, chosen)
    return sorted((Claimed(*row) for row in taken), key=lambda row: row.id)


def flow_state(db: Executor, flow_id: int) -> FlowState | None:
    return db.scalar(_FLOW_STATE, {"b_flow_id": flow_id})


def release_unstarted(db: Executor, ids: Sequence[int], worker_id: str, now: datetime) -> None:
    """Claimed rows whose send has not started go back to «da inviare»."""
    db.execute(_RELEASE_UNSTARTED, {"b_ids": list(ids), "b_worker_id": worker_id, "b_now": now})


def mark_send_started(db: Executor, ids: Sequence[int], worker_id: str, now: datetime) -> int:
    """`send_started_at` of the rows about to be posted (one more attempt each); returns
    how many were still this worker's."""
    marked = db.execute(
        _MARK_SEND_STARTED, {"b_ids": list(ids), "b_worker_id": worker_id, "b_now": now}
    )
    return rowcount(marked)


def service_active(session: Session, service_id: int) -> bool:
    service = session.get(Service, service_id)
    return service is not None and service.active


_PAUSE_FLOW = (
    update(FLOWS)
    # SENDING -> PAUSED, one of FLOW_TRANSITIONS (tests/flows/test_transitions)
    .where(FLOWS.c.id == bindparam("b_flow_id"), FLOWS.c.state == FlowState.SENDING)
    .values(state=FlowState.PAUSED, dispatcher_note=bindparam("b_note"))
)


def pause_flow(db: Executor, flow_id: int, note: str) -> None:
    """The dispatcher pauses a flow «In invio» by itself (IO refused the service's keys, the
    service was deactivated...), saying why."""
    db.execute(_PAUSE_FLOW, {"b_flow_id": flow_id, "b_note": note})


def refresh_flow(session: Session, flow_id: int) -> None:
    """Finishes the flow when none of its rows is left to send (flows.actions.refresh_state)."""
    flow = session.get(Flow, flow_id)
    assert flow is not None
    refresh_state(session, flow)


# -- status reads --------------------------------------------------------------------------


def due_status_reads(session: Session, account_id: int, now: datetime, limit: int) -> Sequence[Any]:
    """The account's sent messages whose status is due to be read, most overdue first:
    rows with the columns named below (what notifications.status.SentMessage needs)."""
    return session.execute(
        select(
            Notification.id,
            Notification.flow_id,
            Notification.service_id,
            Notification.fiscal_code,
            Notification.io_message_id,
            Notification.sent_at,
            Notification.status_checked_at,
            Notification.outcome,
            Notification.feature_level,
            Notification.status_check_until,
            Notification.io_status,
            Notification.email_status,
            Notification.read_status,
            Notification.payment_status,
        )
        .join(Service, Service.id == Notification.service_id)
        .where(Service.account_id == account_id, Notification.next_status_check_at <= now)
        .order_by(Notification.next_status_check_at)
        .limit(limit)
    ).all()
