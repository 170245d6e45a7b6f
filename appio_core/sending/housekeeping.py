"""What a worker does now and then besides sending, every minute: single messages whose
sending process died are given an outcome an operator can act on (see
notifications.single), the heartbeats and request counts older than two days are
forgotten; once a day: personal data past its retention is purged (see
notifications.retention: stale flows cancelled, messages purged, the audit log's codici
fiscali turned into pseudonyms).

The purge is cheap to check: the time of the next one is kept in memory, and the audit
log (where each purge is recorded) is read only when it comes, so that several workers,
or a restarted one, do not purge again what another just did. A purge runs a few
batches per round at most, so that sending is never held up for long; a long first
purge (an installation enabling it on years of data) goes on round after round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.notifications.interrupted import recover_interrupted
from appio_core.notifications.retention import (
    BATCH,
    PurgeRun,
    Retention,
    last_purge,
    purge,
    record_purge,
)
from appio_core.sending import monitoring_store
from appio_core.sending.heartbeat import KEPT_FOR
from appio_core.storage.db import session_scope

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(days=1)
PURGE_RETRY = timedelta(hours=1)  # after a purge that failed
PURGE_BATCH = BATCH  # notifications per transaction
PURGE_BATCHES_PER_ROUND = 10  # 20,000 notifications at most, then back to sending


class Housekeeping:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        every: timedelta = timedelta(minutes=1),
        *,
        retention: Retention | None = None,
        worker_id: str = "",
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._every = every
        self._next: datetime | None = None
        self._purge = (
            DailyPurge(sessions, retention, Actor.worker(f"worker {worker_id}".strip()))
            if retention is not None and retention.enabled
            else None
        )

    def run_if_due(self) -> None:
        now = self._clock()
        if self._next is not None and now < self._next:
            return
        self._next = now + self._every
        with session_scope(self._sessions) as session:
            recovered = recover_interrupted(session, now)
            monitoring_store.prune_monitoring(session, now - KEPT_FOR)
        if recovered:
            log.warning(
                "%s single messages interrupted by a crash were given an outcome", recovered
            )
        if self._purge is not None:
            self._purge.run_if_due(now)


class DailyPurge:
    """The worker's purge of personal data, once a day across all the workers."""

    def __init__(self, sessions: sessionmaker[Session], retention: Retention, who: Actor) -> None:
        self._sessions = sessions
        self._retention = retention
        self._who = who
        self._next: datetime | None = None  # None: ask the audit log
        self._run_at: datetime | None = None  # the moment of the purge under way
        self._done: PurgeRun | None = None  # by the purge under way, so far

    def run_if_due(self, now: datetime) -> None:
        if self._next is not None and now < self._next:
            return
        try:
            if self._run_at is None and not self._due(now):
                return
            self._step(now)
        except Exception:
            # A purge that fails must not stop sending: logged, tried again later.
            log.exception("the purge of personal data failed; trying again in an hour")
            self._next, self._run_at, self._done = now + PURGE_RETRY, None, None

    def _due(self, now: datetime) -> bool:
        """Whether a day has passed since the last purge (by any worker)."""
        with session_scope(self._sessions) as session:
            last = last_purge(session)
        if last is not None and now < last + PURGE_EVERY:
            self._next = last + PURGE_EVERY
            return False
        return True

    def _step(self, now: datetime) -> None:
        # One cutoff for the whole purge, even when it spans several rounds.
        self._run_at = self._run_at or now
        run = purge(
            self._sessions,
            self._who,
            self._retention,
            self._run_at,
            max_batches=PURGE_BATCHES_PER_ROUND,
            size=PURGE_BATCH,
        )
        done = self._done = run if self._done is None else self._done.then(run)
        if not run.finished:
            return  # more next round
        with session_scope(self._sessions) as session:
            record_purge(session, self._who, self._retention, done, now)
        if done.purged or done.flows or done.entries:
            log.info(
                "personal data purged from %s notifications and %s audit entries;"
                " %s stale flows cancelled",
                done.purged,
                done.entries,
                done.flows,
            )
        self._next, self._run_at, self._done = now + PURGE_EVERY, None, None
