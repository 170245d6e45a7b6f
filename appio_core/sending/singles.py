"""The worker's lane for single messages queued by the API (notifications/queued.py).

No lease: like «Nuovo», each request books its slot on the account's shared budget, so the
queued messages go within the share kept for single messages while a flow sends
(APPIO_SINGLE_RESERVE_PERCENT), and any worker may send them. Claiming is fenced, so
several workers never send one row twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.notifications.queued import claim_queued, send_queued
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
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._base_url = base_url
        self._worker_id = worker_id
        self._clock = clock
        self._batch = batch

    async def send_due(self) -> bool:
        """One batch of queued messages, sent together; True when there was one."""
        with session_scope(self._sessions) as session:
            claimed = claim_queued(session, self._worker_id, self._clock(), self._batch)
        if not claimed:
            return False
        results = await asyncio.gather(
            *(
                send_queued(self._sessions, i, self._box, self._base_url, self._clock)
                for i in claimed
            ),
            return_exceptions=True,
        )
        for notification_id, result in zip(claimed, results, strict=True):
            if isinstance(result, BaseException):
                # Left «in invio»: recover_interrupted gives it an outcome (or the queue
                # back) once stale; never sent again blindly.
                log.error("queued notification %s failed: %r", notification_id, result)
        return True

    async def serve(self, should_stop: Callable[[], bool], idle_sleep: float) -> None:
        """Batch after batch while there are some; otherwise a look every `idle_sleep`."""
        while not should_stop():
            try:
                if await self.send_due():
                    continue
            except Exception:
                log.exception("the queue of single messages failed; trying again")
            await asyncio.sleep(idle_sleep)
