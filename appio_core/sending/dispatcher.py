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

The steps, each in its module: leases (leases.py), claiming a batch (claiming.py),
sending it chunk by chunk (chunk.py) with IO's answers turned into the rows' changes
(outcomes.py), recording them (recording.py), status reads (status_reads.py); every SQL
statement is in store.py. This class runs the loop over the accounts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.io.http import IoHttp
from appio_core.notifications.retention import Retention
from appio_core.sending import store
from appio_core.sending.chunk import ChunkSender
from appio_core.sending.claiming import claim_batch
from appio_core.sending.clients import Clients
from appio_core.sending.config import DispatcherConfig, new_worker_id
from appio_core.sending.housekeeping import Housekeeping
from appio_core.sending.leases import LeaseLost, Leases
from appio_core.sending.outcomes import Rules
from appio_core.sending.status_reads import StatusReader
from appio_core.storage.db import session_scope
from appio_core.storage.models import utcnow

__all__ = ["Dispatcher", "DispatcherConfig"]


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        box: KeyBox,
        base_url: str,
        config: DispatcherConfig | None = None,
        *,
        http: IoHttp | httpx.AsyncClient | None = None,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        retention: Retention | None = None,
    ) -> None:
        self.sessions = sessions
        self.config = config or DispatcherConfig()
        self.worker_id = worker_id or new_worker_id()
        self._clock = clock
        self.leases = Leases(sessions, self.worker_id, self.config.lease_seconds, clock)
        self.clients = Clients(base_url, box, http)
        rules = Rules(self.config, clock)
        self.chunks = ChunkSender(sessions, self.leases, rules, clock, self.config.concurrency)
        self.statuses = StatusReader(sessions, self.leases, self.clients, self.config, clock)
        self.housekeeping = Housekeeping(
            sessions, clock, retention=retention, worker_id=self.worker_id
        )

    async def run(
        self, should_stop: Callable[[], bool] = lambda: False, once: bool = False
    ) -> None:
        """Works until `should_stop()` (or, with `once`, until nothing is left to do now).

        `should_stop` is also asked before each chunk of sends, so that stopping a worker
        under IO's rate limit does not wait for the end of a whole batch."""
        self.chunks.should_stop = should_stop
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
        self.leases.release(list(self.leases.held))
        await self.clients.close()

    async def tick(self) -> bool:
        """One round over the accounts with work; True when something was done."""
        self.housekeeping.run_if_due()
        with session_scope(self.sessions) as session:
            accounts = store.accounts_with_work(session, self._clock())
        held = [account for account in accounts if self.leases.acquire(account)]
        idle = self.leases.held - set(accounts)
        if idle:
            self.leases.release(sorted(idle))
        results = await asyncio.gather(*(self._work_account(a) for a in held))
        return any(results)

    async def _work_account(self, account_id: int) -> bool:
        try:
            batch = claim_batch(
                self.sessions,
                self.leases,
                self.clients,
                self._clock,
                account_id,
                self.config.batch_size,
            )
            if batch is not None:
                await self.chunks.send(batch)
                return True
            return await self.statuses.read_due(account_id)
        except LeaseLost:
            self.leases.lost(account_id)
            return True
