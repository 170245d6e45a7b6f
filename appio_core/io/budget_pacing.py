"""The two sides of an account's shared budget (the rules: budget.py).

- `SharedBudget` paces every call to IO made outside the worker: a single message, a test
  send, «Verifica destinatario», «Verifica connessione», «Aggiorna stato», `appio io ...`,
  `appio health --io`. Each request books its slot on the account's row and sleeps until
  it; IO Flussi has no other way to IO for these (accounts/io_access.py hands only this
  out, and tests/io/test_shared_budget_ways_in.py fails on a way in that bypasses it).
- `BudgetWatch` is how the worker holding the lease sees the row: its limiter
  (rate_limit.py) looks through it before a send when its last look is older than
  `POLL_SECONDS`, and keeps the bookers' reserve free while they use it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from appio_core.io import budget_store
from appio_core.io.budget import (
    BURST,
    DEFAULT_RESERVE_PERCENT,
    LATE_SECONDS,
    POLL_SECONDS,
    Quota,
    reserve_size,
)
from appio_core.io.rate_limit import ReserveReading, throttled_wait, unlimited

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
# Bookings of one request woken too late before it leaves all the same (budget.py).
TRIES = 3


class SharedBudget:
    """The pacer of a call to IO outside the worker (see the module's docstring)."""

    def __init__(
        self,
        engine: Engine,
        account_id: int,
        requests: int,
        window: float,
        *,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        self.engine = engine
        self.account_id = account_id
        self.quota = Quota(requests, window)
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._paused_until = 0.0
        self._throttled_in_a_row = 0

    async def acquire(self, priority: int = 0) -> None:
        """Books a slot for one request and sleeps until it. (One request at a time from
        here: the priority of the worker's queue has nothing to order.)"""
        for _ in range(TRIES):
            pause = self._paused_until - self._clock()
            if pause > 0:
                await self._sleep(pause)
            slot = self._book()
            wait = slot - self._clock()
            if wait > 0:
                await self._sleep(wait)
            if self._clock() - slot <= LATE_SECONDS:
                return
            # Leaving now could crowd a window with the slots booked after ours (the
            # budget counts on LATE_SECONDS at most): the slot is left unused.
        log.warning("account %s: booked %s times, late each time: sent", self.account_id, TRIES)

    def _book(self) -> float:
        return budget_store.book(self.engine, self.account_id, self.quota, self._clock)

    def on_response(self, headers: Mapping[str, str]) -> None:
        self._throttled_in_a_row = 0

    def on_throttled(self, headers: Mapping[str, str]) -> float:
        """A 429 all the same (another installation on the account, a worker taking the
        lease over): wait as the limiter would, then book again."""
        self._throttled_in_a_row += 1
        wait = throttled_wait(
            headers, self._throttled_in_a_row, self.backoff_base, self.backoff_cap, self._rng
        )
        self._paused_until = max(self._paused_until, self._clock() + wait)
        return wait


def shared_budget(
    engine: Engine, account_id: int, requests: int, window: float
) -> SharedBudget | None:
    """The pacer of the account for a caller outside the worker; None without a limit."""
    if unlimited(requests):
        return None
    return SharedBudget(engine, account_id, requests, window)


class BudgetWatch:
    """The worker's view of the account's row, for its limiter (rate_limit.ReserveWatch)."""

    poll_seconds = POLL_SECONDS

    def __init__(
        self,
        engine: Engine,
        account_id: int,
        requests: int,
        window: float,
        reserve_percent: int = DEFAULT_RESERVE_PERCENT,
        *,
        clock: Clock = time.time,
    ) -> None:
        self.engine = engine
        self.account_id = account_id
        self.quota = Quota(requests, window)
        self.reserve = reserve_size(requests, reserve_percent)
        self.headroom = min(BURST, self.reserve)
        self.key = (str(engine.url), account_id, self.reserve)
        self._clock = clock

    def look(self) -> ReserveReading | None:
        try:
            return budget_store.look(
                self.engine, self.account_id, self.quota, self.reserve, self._clock
            )
        except SQLAlchemyError as exc:
            # The limiter keeps the reserve and stops sending once its presence runs out.
            log.warning("the budget of account %s could not be read: %s", self.account_id, exc)
            return None
