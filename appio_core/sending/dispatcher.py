"""The dispatcher: sends the flows that are «In invio», row by row, crash-safe.

Design, and why:

- **One worker per IO account at a time (account lease).** IO's limit is a sliding window
  per account, shared by every service and operation of the account. Splitting one window
  between several processes would need a shared counter on every request; instead a
  worker takes a lease on the account (a row in `account_leases`, renewed on every batch)
  and its in-process limiter is then the whole account's limiter. One worker can push far
  more than IO's ~30 requests per second per account, so nothing is lost; several
  workers share the work across accounts (and across flows, when the limit is generous),
  and when a worker dies another takes its accounts over once the lease expires.
- **Claiming rows.** The lease holder claims a batch of «da inviare» rows (`FOR UPDATE SKIP
  LOCKED` on PostgreSQL, so that a claim never waits on or collides with another worker).
- **Never twice.** Just before posting a message, the row's `send_started_at` is committed,
  in a statement that also checks the row is still this worker's and the lease still held.
  A worker that finds, on taking an account over, rows «in invio» of a dead worker turns
  those whose send had started into «esito incerto» (an operator decides) and puts the
  others back to «da inviare». The IO message id is committed before the row counts as
  sent.
- **Retries.** The client retries only what is safe (429s, profile and status reads). A
  send that surely did not reach IO (503, connection refused) goes back to «da inviare»
  with a growing delay; after the last attempt it ends «errore», marked as retryable so
  that «reinvia falliti» can pick it up. A send that may have reached IO is «esito
  incerto», never resent without an operator's decision.
- **Status reads** run only when the account has nothing to send (lower priority than
  sends, same limiter), for `status_check_hours` after sending, less and less often.

Database calls are synchronous and short (one statement per chunk of rows); they run on
the event loop's thread between the network waves. A batch is worked in two lanes of
chunks, so that while one lane commits (or waits for the slowest answer of its wave) the
other's requests are in flight; `concurrency` bounds the requests of both lanes together.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.domain import FeatureLevel, FlowState, Outcome
from appio_core.flows.actions import refresh_state
from appio_core.io.client import IoClient
from appio_core.io.errors import (
    IoError,
    IoOutcomeUnknown,
    IoPermanentError,
    IoRetryableError,
    KeyRefused,
    MessageNotFound,
    ProfileNotFound,
)
from appio_core.io.http import make_http_client
from appio_core.io.models import ApiKeys, NewMessage
from appio_core.io.rate_limit import limiter_for_account
from appio_core.notifications.status import (
    accepted_values,
    record_status_changes,
    status_values,
    unread_values,
)
from appio_core.storage.db import rowcount, session_scope
from appio_core.storage.models import (
    NOTIFICATIONS,
    AccountLease,
    Flow,
    IoAccount,
    Notification,
    Service,
    utcnow,
)

log = logging.getLogger(__name__)

CRASHED_DURING_SEND = (
    "L'invio è stato interrotto (arresto del worker) dopo la richiesta a IO: non sappiamo "
    "se IO abbia ricevuto il messaggio."
)
KEY_REFUSED_NOTE = (
    "Invio sospeso automaticamente: IO ha rifiutato le chiavi del servizio. Aggiorna la "
    "chiave nella pagina Servizi, poi riprendi l'invio."
)


@dataclass(frozen=True)
class DispatcherConfig:
    batch_size: int = 500  # rows claimed at once
    concurrency: int = 64  # requests in flight per account
    lease_seconds: float = 30.0
    max_attempts: int = 5
    retry_delays: tuple[float, ...] = (10.0, 60.0, 300.0, 900.0)
    idle_sleep: float = 1.0
    status_first_check: float = 30.0  # seconds after sending
    status_min_interval: float = 600.0  # between two reads of one message's status
    status_batch: int = 200

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DispatcherConfig:
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            batch_size=int(env.get("APPIO_WORKER_BATCH_SIZE", defaults.batch_size)),
            concurrency=int(env.get("APPIO_WORKER_CONCURRENCY", defaults.concurrency)),
            lease_seconds=float(env.get("APPIO_WORKER_LEASE_SECONDS", defaults.lease_seconds)),
            max_attempts=int(env.get("APPIO_WORKER_MAX_ATTEMPTS", defaults.max_attempts)),
            idle_sleep=float(env.get("APPIO_WORKER_IDLE_SECONDS", defaults.idle_sleep)),
            status_first_check=float(
                env.get("APPIO_STATUS_FIRST_CHECK_SECONDS", defaults.status_first_check)
            ),
            status_min_interval=float(
                env.get("APPIO_STATUS_MIN_INTERVAL_SECONDS", defaults.status_min_interval)
            ),
        )

    def retry_delay(self, attempts: int) -> float:
        """Jittered wait before attempt `attempts + 1`."""
        base = self.retry_delays[min(attempts, len(self.retry_delays)) - 1]
        return base * (0.75 + 0.5 * random.random())


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


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


@dataclass(frozen=True)
class FlowWork:
    id: int
    service_id: int
    check_profile: bool
    feature_level: FeatureLevel
    status_check_hours: int


# Chunks of one batch in flight at once (see Dispatcher._process); each chunk holds
# concurrency / PIPELINE_LANES rows, so that `concurrency` still bounds the requests in flight.
PIPELINE_LANES = 2


class LeaseLost(Exception):
    """Another worker owns the account now: stop touching its rows."""


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        box: KeyBox,
        base_url: str,
        config: DispatcherConfig | None = None,
        *,
        http: httpx.AsyncClient | None = None,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.box = box
        self.base_url = base_url
        self.config = config or DispatcherConfig()
        self.worker_id = worker_id or new_worker_id()
        self._http = http
        self._owns_http = http is None
        self._clock = clock
        self._held: set[int] = set()
        self._clients: dict[int, IoClient] = {}
        self._should_stop: Callable[[], bool] = lambda: False

    # -- the loop ----------------------------------------------------------------------

    async def run(
        self, should_stop: Callable[[], bool] = lambda: False, once: bool = False
    ) -> None:
        """Works until `should_stop()` (or, with `once`, until nothing is left to do now).

        `should_stop` is also asked before each chunk of sends, so that stopping a worker
        under IO's rate limit does not wait for the end of a whole batch."""
        self._should_stop = should_stop
        try:
            while not should_stop():
                worked = await self.tick()
                if once and not worked:
                    break
                if not worked:
                    await asyncio.sleep(self.config.idle_sleep)
        finally:
            await self.close()

    async def close(self) -> None:
        self._release_leases(list(self._held))
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None
        self._clients.clear()

    async def tick(self) -> bool:
        """One round over the accounts with work; True when something was done."""
        accounts = self._accounts_with_work()
        held = [account for account in accounts if self._acquire(account)]
        idle = set(self._held) - set(accounts)
        if idle:
            self._release_leases(sorted(idle))
        results = await asyncio.gather(*(self._work_account(a) for a in held))
        return any(results)

    async def _work_account(self, account_id: int) -> bool:
        try:
            if await self._send_some(account_id):
                return True
            return await self._check_statuses(account_id)
        except LeaseLost:
            log.warning("worker %s lost the lease of account %s", self.worker_id, account_id)
            self._held.discard(account_id)
            return True

    # -- accounts and leases -------------------------------------------------------------

    def _accounts_with_work(self) -> list[int]:
        now = self._clock()
        with session_scope(self.sessions) as session:
            sending = session.scalars(
                select(Service.account_id)
                .join(Flow, Flow.service_id == Service.id)
                .where(
                    Flow.state == FlowState.SENDING,
                    or_(Flow.scheduled_at.is_(None), Flow.scheduled_at <= now),
                )
                .distinct()
            )
            checking = session.scalars(
                select(Service.account_id)
                .join(Notification, Notification.service_id == Service.id)
                .where(Notification.next_status_check_at <= now)
                .distinct()
            )
            return sorted(set(sending) | set(checking))

    def _acquire(self, account_id: int) -> bool:
        now = self._clock()
        expires = now + timedelta(seconds=self.config.lease_seconds)
        with session_scope(self.sessions) as session:
            if session.get(AccountLease, account_id) is None:
                try:
                    with session.begin_nested():
                        session.add(AccountLease(account_id=account_id))
                except IntegrityError:
                    pass  # another worker created it at the same moment
            got = rowcount(
                session.execute(
                    update(AccountLease)
                    .where(
                        AccountLease.account_id == account_id,
                        or_(
                            AccountLease.owner == self.worker_id,
                            AccountLease.owner.is_(None),
                            AccountLease.expires_at < now,
                        ),
                    )
                    .values(owner=self.worker_id, expires_at=expires)
                )
            )
            if got and account_id not in self._held:
                self._recover(session, account_id)
        if got:
            self._held.add(account_id)
        else:
            self._held.discard(account_id)
        return bool(got)

    def _renew(self, session: Session, account_id: int) -> None:
        expires = self._clock() + timedelta(seconds=self.config.lease_seconds)
        renewed = rowcount(
            session.execute(
                update(AccountLease)
                .where(AccountLease.account_id == account_id, AccountLease.owner == self.worker_id)
                .values(expires_at=expires)
            )
        )
        if not renewed:
            raise LeaseLost(account_id)

    def _release_leases(self, accounts: Sequence[int]) -> None:
        if not accounts:
            return
        with session_scope(self.sessions) as session:
            session.execute(
                update(AccountLease)
                .where(
                    AccountLease.account_id.in_(accounts),
                    AccountLease.owner == self.worker_id,
                )
                .values(owner=None, expires_at=None)
            )
        self._held.difference_update(accounts)

    def _recover(self, session: Session, account_id: int) -> None:
        """Rows left «in invio» by a worker that died: uncertain if their send had started."""
        flows = select(Flow.id).join(Service).where(Service.account_id == account_id)
        orphaned = and_(
            Notification.flow_id.in_(flows),
            Notification.outcome == Outcome.SENDING,
            or_(Notification.worker_id.is_(None), Notification.worker_id != self.worker_id),
        )
        now = self._clock()
        uncertain = rowcount(
            session.execute(
                update(Notification)
                .where(orphaned, Notification.send_started_at.is_not(None))
                .values(
                    outcome=Outcome.UNCERTAIN,
                    worker_id=None,
                    error_detail=CRASHED_DURING_SEND,
                    updated_at=now,
                )
            )
        )
        requeued = rowcount(
            session.execute(
                update(Notification)
                .where(orphaned, Notification.send_started_at.is_(None))
                .values(outcome=Outcome.PENDING, worker_id=None, updated_at=now)
            )
        )
        if uncertain or requeued:
            log.warning(
                "account %s taken over: %s rows «esito incerto», %s rows back to «da inviare»",
                account_id,
                uncertain,
                requeued,
            )

    # -- IO access -------------------------------------------------------------------------

    def _client(self, session: Session, account_id: int) -> IoClient:
        client = self._clients.get(account_id)
        if client is None:
            account = session.get(IoAccount, account_id)
            assert account is not None
            if self._http is None:
                self._http = make_http_client(self.base_url)
            limiter = limiter_for_account(
                account.name, account.rate_limit_requests, float(account.rate_limit_window_seconds)
            )
            client = IoClient(self.base_url, self._http, limiter)
            self._clients[account_id] = client
        return client

    def _keys(self, session: Session, service_id: int) -> ApiKeys:
        service = session.get(Service, service_id)
        assert service is not None
        secondary = service.secondary_key_encrypted
        return ApiKeys(
            primary=self.box.open(service.primary_key_encrypted),
            secondary=self.box.open(secondary) if secondary else None,
        )

    # -- sending ---------------------------------------------------------------------------

    async def _send_some(self, account_id: int) -> bool:
        """Claims and sends one batch of one flow of the account; False when none is left."""
        now = self._clock()
        with session_scope(self.sessions) as session:
            flows = [
                FlowWork(f.id, f.service_id, f.check_profile, f.feature_level, f.status_check_hours)
                for f in session.scalars(
                    select(Flow)
                    .join(Service)
                    .where(
                        Service.account_id == account_id,
                        Flow.state == FlowState.SENDING,
                        or_(Flow.scheduled_at.is_(None), Flow.scheduled_at <= now),
                    )
                    .order_by(Flow.started_at, Flow.id)
                )
            ]
        for flow in flows:
            with session_scope(self.sessions) as session:
                rows = self._claim(session, account_id, flow.id)
                client = self._client(session, account_id)
                keys = self._keys(session, flow.service_id)
                if not rows:
                    flow_row = session.get(Flow, flow.id)
                    assert flow_row is not None
                    refresh_state(session, flow_row)
                    continue
            await self._process(account_id, flow, client, keys, rows)
            return True
        return False

    def _claim(self, session: Session, account_id: int, flow_id: int) -> list[Claimed]:
        self._renew(session, account_id)
        now = self._clock()
        candidates = (
            select(Notification.id)
            .where(
                Notification.flow_id == flow_id,
                Notification.outcome == Outcome.PENDING,
                or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
            )
            .order_by(Notification.id)
            .limit(self.config.batch_size)
        )
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        ids = list(session.scalars(candidates))
        if not ids:
            return []
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.outcome == Outcome.PENDING)
            .values(outcome=Outcome.SENDING, worker_id=self.worker_id, updated_at=now)
        )
        return [
            Claimed(*row)
            for row in session.execute(
                select(
                    Notification.id,
                    Notification.fiscal_code,
                    Notification.subject,
                    Notification.markdown,
                    Notification.amount,
                    Notification.notice_number,
                    Notification.due_date,
                    Notification.attempts,
                )
                .where(
                    Notification.id.in_(ids),
                    Notification.worker_id == self.worker_id,
                    Notification.outcome == Outcome.SENDING,
                )
                .order_by(Notification.id)
            )
        ]

    async def _process(
        self,
        account_id: int,
        flow: FlowWork,
        client: IoClient,
        keys: ApiKeys,
        rows: list[Claimed],
    ) -> None:
        """Checks and sends the claimed rows, chunk by chunk, in `PIPELINE_LANES` lanes.

        Each chunk goes: profile checks, commit of their outcomes and of `send_started_at`,
        sends, commit of the results. The lanes take the chunks in turn, so that one
        lane's database commits and the slowest answers of its wave overlap the other
        lane's requests instead of leaving the connection idle. Once a lane finds the
        flow paused (or the lease lost), no lane starts sending again: the rows not yet
        started go back to «da inviare», the sends in flight finish and are recorded."""
        size = max(1, -(-self.config.concurrency // PIPELINE_LANES))
        chunks = [rows[start : start + size] for start in range(0, len(rows), size)]
        stopped = False

        async def lane(mine: list[list[Claimed]]) -> None:
            nonlocal stopped
            for chunk in mine:
                if stopped:
                    return
                results: dict[int, dict[str, Any]] = {}
                sendable = chunk
                if flow.check_profile:
                    checks = await asyncio.gather(*(self._check(client, keys, r) for r in chunk))
                    sendable = [
                        r for r, result in zip(chunk, checks, strict=True) if result is None
                    ]
                    results.update(
                        {
                            r.id: result
                            for r, result in zip(chunk, checks, strict=True)
                            if result is not None
                        }
                    )
                if stopped:
                    return  # its rows were released with the others
                try:
                    go_on = self._start_sending(account_id, flow.id, sendable, results, rows)
                except BaseException:
                    stopped = True
                    raise
                if not go_on:
                    stopped = True
                    return
                sent = await asyncio.gather(*(self._send(client, keys, flow, r) for r in sendable))
                self._record(
                    {r.id: result for r, result in zip(sendable, sent, strict=True)}, flow.id
                )

        lanes = [chunks[i::PIPELINE_LANES] for i in range(PIPELINE_LANES)]
        outcomes = await asyncio.gather(*(lane(m) for m in lanes if m), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    def _start_sending(
        self,
        account_id: int,
        flow_id: int,
        sendable: list[Claimed],
        results: dict[int, dict[str, Any]],
        claimed: list[Claimed],
    ) -> bool:
        """Commits the profile outcomes and `send_started_at` of the rows about to be posted.

        False (and the claimed rows whose send has not started released) when the flow
        was paused or cancelled, or the worker is stopping."""
        now = self._clock()
        with session_scope(self.sessions) as session:
            self._renew(session, account_id)
            state = session.scalar(select(Flow.state).where(Flow.id == flow_id))
            if state != FlowState.SENDING or self._should_stop():
                session.execute(
                    update(Notification)
                    .where(
                        Notification.id.in_([r.id for r in claimed]),
                        Notification.worker_id == self.worker_id,
                        Notification.outcome == Outcome.SENDING,
                        Notification.send_started_at.is_(None),
                    )
                    .values(outcome=Outcome.PENDING, worker_id=None, updated_at=now)
                )
                return False
            self._apply(session, flow_id, results)
            if sendable:
                marked = rowcount(
                    session.execute(
                        update(Notification)
                        .where(
                            Notification.id.in_([r.id for r in sendable]),
                            Notification.worker_id == self.worker_id,
                            Notification.outcome == Outcome.SENDING,
                            Notification.send_started_at.is_(None),
                        )
                        .values(
                            send_started_at=now, attempts=Notification.attempts + 1, updated_at=now
                        )
                    )
                )
                if marked != len(sendable):
                    session.rollback()
                    raise LeaseLost(account_id)
        return True

    async def _check(self, client: IoClient, keys: ApiKeys, row: Claimed) -> dict[str, Any] | None:
        """None when the citizen can receive the message; else the row's final values."""
        try:
            profile = await client.get_profile(keys, row.fiscal_code)
        except ProfileNotFound as exc:
            return self._final(Outcome.NOT_ON_IO, 404, exc.message)
        except KeyRefused as exc:
            return self._key_refused(exc)
        except IoPermanentError as exc:
            return self._final(Outcome.ERROR, exc.status, exc.message)
        except IoRetryableError as exc:
            return self._retry_later(row.attempts + 1, exc, attempts=row.attempts + 1)
        if not profile.sender_allowed:
            return self._final(
                Outcome.SERVICE_BLOCKED,
                200,
                "Il cittadino ha disattivato questo servizio su App IO: nessun messaggio inviato.",
            )
        return None

    async def _send(
        self, client: IoClient, keys: ApiKeys, flow: FlowWork, row: Claimed
    ) -> dict[str, Any]:
        message = NewMessage(
            fiscal_code=row.fiscal_code,
            subject=row.subject,
            markdown=row.markdown,
            amount=row.amount,
            notice_number=row.notice_number,
            due_date=row.due_date,
            feature_level_type=flow.feature_level,
        )
        attempts = row.attempts + 1  # counted when send_started_at was committed
        try:
            message_id = await client.send_message(keys, message)
        except IoOutcomeUnknown as exc:
            return self._final(Outcome.UNCERTAIN, exc.status, exc.message)
        except KeyRefused as exc:
            values = self._key_refused(exc)
            values["send_started_at"] = None
            return values
        except IoPermanentError as exc:
            return self._final(Outcome.ERROR, exc.status, exc.message)
        except IoRetryableError as exc:
            values = self._retry_later(attempts, exc)
            values["send_started_at"] = None  # IO did not process it: safe to send again
            return values
        return accepted_values(
            message_id, self._clock(), flow.status_check_hours, self.config.status_first_check
        )

    def _final(self, outcome: Outcome, status: int | None, detail: str) -> dict[str, Any]:
        return {
            "outcome": outcome,
            "http_status": status,
            "error_detail": detail,
            "retryable": False,
        }

    def _key_refused(self, exc: IoError) -> dict[str, Any]:
        # Every row would fail the same way: keep the row, pause the flow (see _record).
        return {
            "outcome": Outcome.PENDING,
            "http_status": 401,
            "error_detail": exc.message,
            "retryable": False,
            "pause_flow": KEY_REFUSED_NOTE,
        }

    def _retry_later(self, done: int, exc: IoRetryableError, **extra: Any) -> dict[str, Any]:
        """`done` attempts failed with a temporary error: wait and retry, or give up."""
        if done >= self.config.max_attempts:
            values: dict[str, Any] = {
                "outcome": Outcome.ERROR,
                "http_status": exc.status,
                "error_detail": f"{exc.message} (dopo {done} tentativi)",
                "retryable": True,
            }
        else:
            delay = max(exc.retry_after or 0.0, self.config.retry_delay(done))
            values = {
                "outcome": Outcome.PENDING,
                "http_status": exc.status,
                "error_detail": exc.message,
                "retryable": False,
                "next_attempt_at": self._clock() + timedelta(seconds=delay),
            }
        values.update(extra)
        return values

    def _record(self, results: dict[int, dict[str, Any]], flow_id: int) -> None:
        with session_scope(self.sessions) as session:
            self._apply(session, flow_id, results)

    def _apply(self, session: Session, flow_id: int, results: dict[int, dict[str, Any]]) -> None:
        """Stores the rows' outcomes; pauses the flow when IO refused the service's keys."""
        self._write(session, results)
        notes = {v["pause_flow"] for v in results.values() if "pause_flow" in v}
        if notes:
            flow = session.get(Flow, flow_id)
            assert flow is not None
            if flow.state == FlowState.SENDING:
                flow.state = FlowState.PAUSED
                flow.dispatcher_note = notes.pop()

    def _write(self, session: Session, results: dict[int, dict[str, Any]]) -> None:
        """Stores the rows' outcomes; one executemany per shape of values."""
        if not results:
            return
        now = self._clock()
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row_id, values in results.items():
            params = {k: v for k, v in values.items() if k != "pause_flow"}
            params["worker_id"] = None
            params["updated_at"] = now
            by_shape.setdefault(tuple(sorted(params)), []).append(
                {"row_id": row_id, **{f"v_{k}": v for k, v in params.items()}}
            )
        table = NOTIFICATIONS
        for shape, params_list in by_shape.items():
            stmt = (
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values({k: bindparam(f"v_{k}") for k in shape})
            )
            session.execute(stmt, params_list)

    # -- status reads ------------------------------------------------------------------

    async def _check_statuses(self, account_id: int) -> bool:
        now = self._clock()
        with session_scope(self.sessions) as session:
            self._renew(session, account_id)
            rows = session.execute(
                select(
                    Notification.id,
                    Notification.flow_id,
                    Notification.service_id,
                    Notification.fiscal_code,
                    Notification.io_message_id,
                    Notification.sent_at,
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
                .limit(self.config.status_batch)
            ).all()
            if not rows:
                return False
            client = self._client(session, account_id)
            keys = {sid: self._keys(session, sid) for sid in {r.service_id for r in rows}}
        statuses = await asyncio.gather(
            *(self._read_status(client, keys[r.service_id], r) for r in rows)
        )
        with session_scope(self.sessions) as session:
            self._write(session, dict(zip((r.id for r in rows), statuses, strict=True)))
            record_status_changes(session, rows, statuses)
            for flow_id in {r.flow_id for r in rows if r.flow_id is not None}:
                flow = session.get(Flow, flow_id)
                assert flow is not None
                refresh_state(session, flow)
        return True

    async def _read_status(self, client: IoClient, keys: ApiKeys, row: Any) -> dict[str, Any]:
        now = self._clock()
        interval = self.config.status_min_interval
        try:
            status = await client.get_message_status(keys, row.fiscal_code, row.io_message_id)
        except (MessageNotFound, IoRetryableError, IoPermanentError) as exc:
            # Not readable yet (IO may answer 404 before processing) or a passing failure:
            # try again later, within the window.
            log.info("status of %s not read: %s", row.io_message_id, exc.code)
            return unread_values(row, now, interval)
        return status_values(row, status, now, interval)
