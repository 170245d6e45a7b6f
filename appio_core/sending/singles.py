"""The worker's lane for single messages queued by the API (notifications/queued.py).

A queued message of an account this worker holds the lease of goes through the worker's
own client for the account: its limiter paces the whole account, so the queue shares the
quota with the account's flows and status reads (which wait while messages are queued:
dispatcher.py). One of an account nobody holds books each request on the account's shared
budget, like «Nuovo» (the whole quota, with no worker on the account). An account another
worker holds is left to it (claim_queued). Claiming is fenced, so several workers never
send one row twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.io.client import IoClient
from appio_core.notifications.queued import claim_queued, send_queued
from appio_core.sending.clients import Clients
from appio_core.sending.leases import Leases
from appio_core.storage.db import session_scope

log = logging.getLogger(__name__)

# Rows claimed at once: their requests wait for their slots on the budget, so a larger
# batch only holds rows «in invio» longer.
BATCH = 20


class QueuedSingles:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        box: KeyBox,
        base_url: str,
        worker_id: str,
        clock: Callable[[], datetime],
        batch: int = BATCH,
        leases: Leases | None = None,
        clients: Clients | None = None,
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._base_url = base_url
        self._worker_id = worker_id
        self._clock = clock
        self._batch = batch
        self._leases = leases
        self._clients = clients

    async def send_due(self) -> bool:
        """One batch of queued messages, sent together; True when there was one."""
        with session_scope(self._sessions) as session:
            claimed = claim_queued(session, self._worker_id, self._clock(), self._batch)
        if not claimed:
            return False
        results = await asyncio.gather(
            *(
                send_queued(
                    self._sessions,
                    c.notification_id,
                    self._box,
                    self._base_url,
                    self._clock,
                    self._own_client(c.account_id),
                )
                for c in claimed
            ),
            return_exceptions=True,
        )
        for c, result in zip(claimed, results, strict=True):
            if isinstance(result, BaseException):
                # Left «in invio»: recover_interrupted gives it an outcome (or the queue
                # back) once stale; never sent again blindly.
                log.error("queued notification %s failed: %r", c.notification_id, result)
        return True

    def _own_client(self, account_id: int) -> IoClient | None:
        """The worker's client for an account whose lease it holds; None: book."""
        if self._leases is None or self._clients is None or account_id not in self._leases.held:
            return None
        with session_scope(self._sessions) as session:
            return self._clients.for_account(session, account_id)

    async def serve(self, should_stop: Callable[[], bool], idle_sleep: float) -> None:
        """Batch after batch while there are some; otherwise a look every `idle_sleep`."""
        while not should_stop():
            try:
                if await self.send_due():
                    continue
            except Exception:
                log.exception("the queue of single messages failed; trying again")
            await asyncio.sleep(idle_sleep)
