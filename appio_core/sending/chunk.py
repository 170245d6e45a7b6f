"""Sending a claimed batch, chunk by chunk: profile checks, the commit of `send_started_at`
just before the posts (the crash-safety point), the sends, the commit of their outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from appio_core.domain import FlowState
from appio_core.notifications.change import NotificationChange
from appio_core.sending import store
from appio_core.sending.change_writes import Claim
from appio_core.sending.claiming import Batch
from appio_core.sending.leases import LeaseLost, Leases
from appio_core.sending.outcomes import Rules
from appio_core.sending.recording import record_outcomes
from appio_core.sending.store import Claimed
from appio_core.storage.db import engine_of

# Chunks of one batch in flight at once; each chunk holds concurrency / PIPELINE_LANES
# rows, so that `concurrency` still bounds the requests in flight.
PIPELINE_LANES = 2


class ChunkSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        leases: Leases,
        rules: Rules,
        clock: Callable[[], datetime],
        concurrency: int,
    ) -> None:
        # The two commits of each chunk run in plain transactions on the engine: a session
        # costs three times as much for these few Core statements (bench/bench_dispatch.py).
        self.engine = engine_of(sessions)
        self.leases = leases
        self.rules = rules
        self._clock = clock
        self.chunk_size = max(1, -(-concurrency // PIPELINE_LANES))
        self.should_stop: Callable[[], bool] = lambda: False
        # Accounts this worker is giving up (the fair share): their batches stop too.
        self.leaving: Collection[int] = frozenset()

    async def send(self, batch: Batch) -> None:
        """Checks and sends the batch's rows, chunk by chunk, in `PIPELINE_LANES` lanes.

        The lanes take the chunks in turn, so that one lane's database commits and the
        slowest answers of its wave overlap the other lane's requests instead of leaving
        the connection idle. Once a lane finds the flow paused (or the lease lost), no
        lane starts sending again: the rows not yet started go back to «da inviare», the
        sends in flight finish and are recorded."""
        rows, size = batch.rows, self.chunk_size
        chunks = [rows[start : start + size] for start in range(0, len(rows), size)]
        stopped = False

        async def lane(mine: list[list[Claimed]]) -> None:
            nonlocal stopped
            for chunk in mine:
                if stopped:
                    return
                checked, sendable = await self._check(batch, chunk)
                if stopped:
                    return  # its rows were released with the others
                try:
                    go_on = self._start_sending(batch, chunk, sendable, checked)
                except BaseException:
                    stopped = True
                    raise
                if not go_on:
                    stopped = True
                    return
                sent = await asyncio.gather(
                    *(self.rules.send(batch.client, batch.keys, batch.flow, r) for r in sendable)
                )
                self._record(
                    batch,
                    sendable,
                    {r.id: change for r, change in zip(sendable, sent, strict=True)},
                )

        lanes = [chunks[i::PIPELINE_LANES] for i in range(PIPELINE_LANES)]
        results = await asyncio.gather(*(lane(m) for m in lanes if m), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _check(
        self, batch: Batch, chunk: list[Claimed]
    ) -> tuple[dict[int, NotificationChange], list[Claimed]]:
        """The profile checks: the outcomes of the rows that will not be sent, and the rows
        that will."""
        if not batch.flow.check_profile:
            return {}, chunk
        checks = await asyncio.gather(
            *(self.rules.check(batch.client, batch.keys, r) for r in chunk)
        )
        outcomes = {r.id: c for r, c in zip(chunk, checks, strict=True) if c is not None}
        return outcomes, [r for r, c in zip(chunk, checks, strict=True) if c is None]

    def _start_sending(
        self,
        batch: Batch,
        chunk: list[Claimed],
        sendable: list[Claimed],
        checked: dict[int, NotificationChange],
    ) -> bool:
        """Commits the profile outcomes and `send_started_at` of the rows about to be posted.

        False (and the claimed rows whose send has not started released) when the flow
        was paused or cancelled, or the worker is stopping or giving the account up."""
        now = self._clock()
        worker_id = self.leases.worker_id
        with self.engine.begin() as connection:
            self.leases.renew(connection, batch.account_id)
            state = store.flow_state(connection, batch.flow.id)
            stopping = self.should_stop() or batch.account_id in self.leaving
            if state != FlowState.SENDING or stopping:
                store.release_unstarted(connection, [r.id for r in batch.rows], worker_id, now)
                return False
            # The checks counted no attempt: the rows are as claimed.
            claim = Claim(worker_id, {r.id: r.attempts for r in chunk if r.id in checked})
            record_outcomes(connection, batch.flow.id, checked, now, claim)
            if sendable:
                ids = [r.id for r in sendable]
                if store.mark_send_started(connection, ids, worker_id, now) != len(sendable):
                    raise LeaseLost(batch.account_id)  # leaving the block rolls back
        return True

    def _record(
        self, batch: Batch, sent: list[Claimed], changes: dict[int, NotificationChange]
    ) -> None:
        """The sends' outcomes, each written only if the row is still this worker's at this
        attempt (committing `send_started_at` counted one): a late answer after a takeover
        is dropped (change_writes.py)."""
        claim = Claim(self.leases.worker_id, {r.id: r.attempts + 1 for r in sent})
        with self.engine.begin() as connection:
            record_outcomes(connection, batch.flow.id, changes, self._clock(), claim)
