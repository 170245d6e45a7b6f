"""One worker per IO account at a time: the leases this worker holds (see the design in
appio_core.sending.dispatcher)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from appio_core.sending import store
from appio_core.storage.db import Executor, session_scope

log = logging.getLogger(__name__)

T = TypeVar("T")


class LeaseLost(Exception):
    """Another worker owns the account now: stop touching its rows."""


class Leases:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        worker_id: str,
        seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.worker_id = worker_id
        self.seconds = seconds
        self._clock = clock
        self.held: set[int] = set()

    def _expiry(self) -> datetime:
        return self._clock() + timedelta(seconds=self.seconds)

    def acquire(self, account_id: int) -> bool:
        """Takes (or keeps) the account; on taking it over, recovers a dead worker's rows."""
        now = self._clock()
        with session_scope(self.sessions) as session:
            got = store.take_lease(session, account_id, self.worker_id, now, self._expiry())
            if got and account_id not in self.held:
                uncertain, requeued = store.recover_orphans(
                    session, account_id, self.worker_id, now
                )
                if uncertain or requeued:
                    log.warning(
                        "account %s taken over: %s rows «esito incerto», %s rows back to "
                        "«da inviare»",
                        account_id,
                        uncertain,
                        requeued,
                    )
        if got:
            self.held.add(account_id)
        else:
            self.held.discard(account_id)
        return got

    def renew(self, db: Executor, account_id: int) -> None:
        """In the caller's transaction, so that what it writes is written under the lease."""
        if not store.renew_lease(db, account_id, self.worker_id, self._expiry()):
            raise LeaseLost(account_id)

    async def hold(self, account_id: int, work: Coroutine[Any, Any, T]) -> T:
        """Runs the account's `work` (a batch, a round of status reads) while renewing the
        lease every third of its length, not only when a chunk starts: requests waiting
        for the limiter, for IO or for a free connection must not lose the account under
        them. A renewal that finds the lease gone (this worker stalled longer than the
        lease, and another took the account over) cancels the work, so that nothing more
        is sent or written for the account, and raises LeaseLost. A renewal that fails
        (the database away) is tried again at the next third: the writes are fenced
        anyway (change_writes.py)."""
        task = asyncio.ensure_future(work)
        lost: list[bool] = []

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.seconds / 3)
                try:
                    with session_scope(self.sessions) as session:
                        renewed = store.renew_lease(
                            session, account_id, self.worker_id, self._expiry()
                        )
                except Exception:
                    log.exception("the lease of account %s was not renewed", account_id)
                    continue
                if not renewed:
                    log.warning(
                        "worker %s found the lease of account %s taken while its work was in"
                        " flight: the work is stopped, nothing more is sent or written",
                        self.worker_id,
                        account_id,
                    )
                    lost.append(True)
                    task.cancel()
                    return

        renewing = asyncio.create_task(renew())
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if lost and not (current is not None and current.cancelling()):
                raise LeaseLost(account_id) from None
            raise
        finally:
            renewing.cancel()
            with suppress(asyncio.CancelledError):
                await renewing

    def release(self, accounts: Sequence[int]) -> None:
        if not accounts:
            return
        with session_scope(self.sessions) as session:
            store.release_leases(session, accounts, self.worker_id)
        self.held.difference_update(accounts)

    def lost(self, account_id: int) -> None:
        log.warning("worker %s lost the lease of account %s", self.worker_id, account_id)
        self.held.discard(account_id)
