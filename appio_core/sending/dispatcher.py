"""The dispatcher: sends the flows that are «In invio», row by row, crash-safe.

Design, and why:

- **One worker per IO account at a time (account lease).** IO's limit is a sliding window
  per account, shared by every service and operation of the account. Splitting one window
  between several processes would need a shared counter on every request; instead a
  worker takes a lease on the account (a row in `account_leases`, renewed with every
  chunk and, while a batch is in flight, every third of its length in the background) and
  its in-process limiter is then the whole account's limiter. The lease outlasts any
  request (three times connect + read: config.py). One worker can push far
  more than IO's ~30 requests per second per account, so nothing is lost; several
  workers share the work across accounts (and across flows, when the limit is generous),
  and when a worker dies another takes its accounts over once the lease expires.
- **A fair share of the accounts.** Each worker writes a heartbeat (heartbeat.py) and
  holds about its share of the accounts with work: their number divided by the workers
  alive, rounded up (sharing.py). A worker above its share gives accounts up at the end
  of the chunk under way; one below it takes free or expired leases. A dead worker stops
  counting as alive when its leases expire, so the others raise their share and take its
  accounts over then. Each account held is sent by a task of its own, batch after batch,
  so that an account never waits for another account's batch to end.
- **Claiming rows.** The lease holder claims a batch of «da inviare» rows (`FOR UPDATE SKIP
  LOCKED` on PostgreSQL, so that a claim never waits on or collides with another worker).
- **Never twice.** Just before posting a message, the row's `send_started_at` is committed,
  in a statement that also checks the row is still this worker's and the lease still held.
  A worker that finds, on taking an account over, rows «in invio» of a dead worker turns
  those whose send had started into «esito incerto» (an operator decides) and puts the
  others back to «da inviare». The IO message id is committed before the row counts as
  sent.
- **A late answer never overwrites a newer decision.** Every outcome is written only while
  the row is still the writer's: a fence of worker and attempt in the same UPDATE
  (change_writes.py). A worker that stalled past its lease and comes back with IO's
  answer after the takeover (the row «esito incerto», maybe resent on an operator's
  «Reinvia») has its write dropped and logged; a renewal that finds the lease taken stops
  the account's work at once (leases.py).
- **Retries.** The client retries only what is safe (429s, profile and status reads). A
  send that surely did not reach IO (503, connection refused) goes back to «da inviare»
  with a growing delay; after the last attempt it ends «errore», marked as retryable so
  that «reinvia falliti» can pick it up. A send that may have reached IO is «esito
  incerto», never resent without an operator's decision.
- **Webhooks** of the integrations go out on a task of their own beside the sending
  (appio_core/webhooks/delivery.py): every post cut at its timeout, never holding a send.
- **Status reads** run only when the account has nothing to send (lower priority than
  sends, same limiter), for `status_check_hours` after sending, less and less often.
- **Single messages queued by the API** are sent beside the accounts' tasks, as «Nuovo»
  sends them (singles.py): by the account's lease holder through its own limiter (the
  account's status reads wait for them: sends first), or, on an account nobody holds, by
  any worker on the shared budget below.
- **Single messages and checks of other processes** (the web, the CLI) do not hold the
  lease: they book each request on the account's shared budget, and the lease holder's
  limiter keeps a reserve of the quota free for them while they use it
  (APPIO_SINGLE_RESERVE_PERCENT, 10%): appio_core/io/budget.py.

Database calls are synchronous and short (one statement per chunk of rows); they run on
the event loop's thread between the network waves. A batch is worked in two lanes of
chunks, so that while one lane commits (or waits for the slowest answer of its wave) the
other's requests are in flight; `concurrency` bounds the requests of both lanes together.

The steps, each in its module: leases (leases.py), claiming a batch (claiming.py),
sending it chunk by chunk (chunk.py) with IO's answers turned into the rows' changes
(outcomes.py), recording them (recording.py), status reads (status_reads.py); every SQL
statement is in store.py. This class runs the accounts' tasks and, every `idle_sleep`,
looks at the share again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.io.http import IoHttp
from appio_core.notifications.queued import waiting_for
from appio_core.notifications.retention import Retention
from appio_core.sending import monitoring_store, store
from appio_core.sending.chunk import ChunkSender
from appio_core.sending.claiming import claim_batch
from appio_core.sending.clients import Clients
from appio_core.sending.config import DispatcherConfig, new_worker_id
from appio_core.sending.heartbeat import Heartbeat
from appio_core.sending.housekeeping import Housekeeping
from appio_core.sending.leases import LeaseLost, Leases
from appio_core.sending.outcomes import Rules
from appio_core.sending.sharing import plan_share
from appio_core.sending.singles import QueuedSingles
from appio_core.sending.status_reads import StatusReader
from appio_core.storage.db import session_scope
from appio_core.storage.models import utcnow
from appio_core.webhooks.config import WebhookConfig
from appio_core.webhooks.delivery import WebhookSender

__all__ = ["Dispatcher", "DispatcherConfig"]

log = logging.getLogger(__name__)


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
        webhooks: WebhookConfig | None = None,
    ) -> None:
        self.sessions = sessions
        self.config = config or DispatcherConfig()
        self.worker_id = worker_id or new_worker_id()
        self._clock = clock
        self.leases = Leases(sessions, self.worker_id, self.config.lease_seconds, clock)
        self.clients = Clients(base_url, box, http, self.config.single_reserve_percent)
        rules = Rules(self.config, clock)
        self.chunks = ChunkSender(sessions, self.leases, rules, clock, self.config.concurrency)
        self.statuses = StatusReader(sessions, self.leases, self.clients, self.config, clock)
        self.housekeeping = Housekeeping(
            sessions, clock, retention=retention, worker_id=self.worker_id
        )
        self.heartbeat = Heartbeat(sessions, self.leases, self.clients, clock)
        # The integrations' webhooks, delivered beside the sending (appio_core/webhooks).
        self.webhooks = WebhookSender(sessions, box, self.worker_id, webhooks, clock=clock)
        # Single messages queued by the API, any account's: the lease holder's limiter, or
        # the shared budget for an account nobody holds (singles.py).
        self.singles = QueuedSingles(
            sessions, box, base_url, self.worker_id, clock, leases=self.leases, clients=self.clients
        )
        # Accounts given up for the fair share whose task is still ending its chunk.
        self._leaving: set[int] = set()
        self.chunks.leaving = self._leaving

    async def run(
        self, should_stop: Callable[[], bool] = lambda: False, once: bool = False
    ) -> None:
        """Works until `should_stop()` (or, with `once`, until nothing is left to do now).

        `should_stop` is also asked before each chunk of sends, so that stopping a worker
        under IO's rate limit does not wait for the end of a whole batch."""
        self.chunks.should_stop = should_stop
        self.heartbeat.beat()  # counted among the workers alive before taking a share
        beating = asyncio.create_task(self._beat_until_stopped())
        delivering = asyncio.create_task(self.webhooks.run(should_stop))
        try:
            if once:
                while not should_stop() and await self.tick():
                    pass
            else:
                await self._serve(should_stop)
        finally:
            for task in (beating, delivering):
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            await self.close()

    async def close(self) -> None:
        self.leases.release(list(self.leases.held))
        self.heartbeat.stop()
        await self.clients.close()
        await self.webhooks.close()

    async def tick(self) -> bool:
        """One round over this worker's share of the accounts with work: one batch (or
        one round of status reads) each; True when something was done."""
        self.housekeeping.run_if_due()
        held = self._balance(busy=set())
        results = await asyncio.gather(
            self.singles.send_due(), *(self._work_account(a) for a in held)
        )
        return any(results)

    async def _serve(self, should_stop: Callable[[], bool]) -> None:
        """The long-running worker: one task per account held, each sending batch after
        batch, so that an account never waits for another's batch to end; every
        `idle_sleep` (or when a task ends) the share is looked at again."""
        tasks: dict[int, asyncio.Task[bool]] = {}
        rest_until: dict[int, float] = {}  # accounts found without work: not before then
        loop = asyncio.get_running_loop()
        singles = asyncio.create_task(self.singles.serve(should_stop, self.config.idle_sleep))
        try:
            while not should_stop():
                self.housekeeping.run_if_due()
                for account_id, task in list(tasks.items()):
                    if task.done():
                        del tasks[account_id]
                        # A failure stops the worker, as a failed round did.
                        if not task.result():
                            rest_until[account_id] = loop.time() + self.config.idle_sleep
                for account_id in self._balance(busy=set(tasks)):
                    if account_id not in tasks and rest_until.get(account_id, 0) <= loop.time():
                        tasks[account_id] = asyncio.create_task(self._keep_sending(account_id))
                if tasks:
                    await asyncio.wait(
                        tasks.values(),
                        timeout=self.config.idle_sleep,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                else:
                    await asyncio.sleep(self.config.idle_sleep)
        finally:
            self._leaving.update(tasks)
            if not should_stop():
                # Cancelled: the queue's lane stops now too (a row it was sending stays «in
                # invio», for recover_interrupted); a stop asked lets it end its batch.
                singles.cancel()
            await asyncio.gather(*tasks.values(), singles, return_exceptions=True)

    async def _keep_sending(self, account_id: int) -> bool:
        """Batches of the account until it has nothing to do now (False), its lease is
        lost, or this worker stops or gives it up (True)."""
        while (
            account_id in self.leases.held
            and account_id not in self._leaving
            and not self.chunks.should_stop()
        ):
            if not await self._work_account(account_id):
                return False
        return True

    def _balance(self, busy: set[int]) -> list[int]:
        """Takes and gives up leases for this worker's fair share (sharing.py); returns
        the accounts to work on. An account given up while its task runs (`busy`) is
        released once the task has stopped at the end of its chunk."""
        now = self._clock()
        with session_scope(self.sessions) as session:
            accounts = store.accounts_with_work(session, now)
            workers = monitoring_store.workers_alive(session, now)
        plan = plan_share(accounts, self.leases.held, workers)
        self._leaving.clear()
        self._leaving.update(a for a in plan.give_up if a in busy)
        self.leases.release([a for a in plan.give_up if a not in busy])
        held = [a for a in plan.keep if self.leases.acquire(a)]  # renewed
        for account_id in plan.candidates:
            if len(held) >= plan.share:
                break
            if self.leases.acquire(account_id):
                held.append(account_id)
        return held

    async def _beat_until_stopped(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat.interval)
            try:
                self.heartbeat.beat()
            except Exception:
                # A missed beat must not stop sending; the next one may go through.
                log.exception("the heartbeat of worker %s failed", self.worker_id)

    async def _work_account(self, account_id: int) -> bool:
        try:
            # The lease renewed in the background while the work is in flight (leases.py).
            return await self.leases.hold(account_id, self._work(account_id))
        except LeaseLost:
            self.leases.lost(account_id)
            return True

    async def _work(self, account_id: int) -> bool:
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
        with session_scope(self.sessions) as session:
            if waiting_for(session, account_id):
                return False  # the queue's lane is sending: status reads come after
        return await self.statuses.read_due(account_id)
