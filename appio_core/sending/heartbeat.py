"""The worker's heartbeat: every few seconds it says it is alive, which accounts it holds,
and how many requests it made to IO for each account (429s apart) since the last beat.

The heartbeats serve «Stato del sistema» (which workers run, which went silent) and the
fair share of the accounts: each worker takes its share of the accounts with work among
the workers alive (see sharing.py). A worker counts as alive for its lease time after
its last beat, so that a dead worker stops counting about when its leases expire and the
others raise their share to take its accounts over.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from appio_core.io.tally import MINUTE
from appio_core.sending import monitoring_store
from appio_core.sending.clients import Clients
from appio_core.sending.leases import Leases
from appio_core.storage.db import session_scope

log = logging.getLogger(__name__)

# Beats at most this far apart; a third of the lease when the lease is shorter, so that
# two beats can be missed (a slow database, a long chunk) before the worker looks dead.
MAX_INTERVAL_SECONDS = 5.0
# Workers not seen and request counts older than this are forgotten (housekeeping).
KEPT_FOR = timedelta(days=2)


class Heartbeat:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        leases: Leases,
        clients: Clients,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.leases = leases
        self.clients = clients
        self._clock = clock
        self.interval = min(MAX_INTERVAL_SECONDS, leases.seconds / 3)
        self._identity: monitoring_store.Beat | None = None

    def beat(self) -> None:
        """Says this worker is alive, with the accounts it holds; stores the request counts."""
        now = self._clock()
        if self._identity is None:
            self._identity = monitoring_store.Beat(
                self.leases.worker_id, socket.gethostname(), os.getpid(), now
            )
        alive_until = now + timedelta(seconds=self.leases.seconds)
        with session_scope(self.sessions) as session:
            monitoring_store.record_beat(
                session, self._identity, now, alive_until, sorted(self.leases.held)
            )
            self._store_counts(session)

    def stop(self) -> None:
        """Says this worker stopped (a clean stop is not a silence); stores the last counts."""
        if self._identity is None:
            return
        with session_scope(self.sessions) as session:
            monitoring_store.record_stop(session, self.leases.worker_id, self._clock())
            self._store_counts(session)

    def _store_counts(self, session: Session) -> None:
        taken = self.clients.take_counts()
        monitoring_store.add_request_counts(
            session,
            {
                account_id: {
                    datetime.fromtimestamp(minute * MINUTE, UTC): counts
                    for minute, counts in minutes.items()
                }
                for account_id, minutes in taken.items()
            },
        )
