"""Client-side pacing of the calls to IO, one limiter per IO account.

IO's gateway allows N requests per sliding window per account (150 per 5 s by default),
counted over every operation of every service of the account. Going over it costs a
429 and a pause, so the limiter keeps its own sliding window of the requests it let
through and makes callers wait for a free slot instead. It corrects itself with what
IO says:
- `x-rate-limit-remaining` lower than our own count means someone else (another
  process, another installation) spends the same account: the difference is booked
  as phantom requests so that we slow down accordingly;
- a 429 (with `x-rate-limit-retry-after` when present) pauses every caller of the
  account, for capped, jittered, growing waits while 429s keep coming.

Callers with a lower `priority` number go first: sends (0) are not delayed by the
status reads (1) that the dispatcher runs in the background.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

REMAINING_HEADER = "x-rate-limit-remaining"
RETRY_AFTER_HEADER = "x-rate-limit-retry-after"


class RateLimiter:
    def __init__(
        self,
        requests: int = 150,
        window: float = 5.0,
        *,
        margin: float = 0.1,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if requests < 1 or window <= 0:
            raise ValueError("Il limite di richieste deve essere positivo.")
        self.requests = requests
        self.window = window
        # Our clock starts a request when it leaves, IO's when it arrives: a request that
        # travels faster than the one sent a window earlier would be counted inside
        # IO's window. A small margin on the window absorbs that jitter (2% at 5 s).
        self.margin = margin
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._sent: deque[float] = deque()  # start times of the requests in the window
        self._paused_until = 0.0
        self._throttled_in_a_row = 0
        self._waiting: list[tuple[int, int]] = []  # heap of (priority, arrival order)
        self._order = itertools.count()
        self._changed: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- acquiring ---------------------------------------------------------------

    def _condition(self) -> asyncio.Condition:
        # One per event loop: the registry shares a limiter across the process, and a
        # sync caller (asyncio.run per action) brings a new loop each time.
        loop = asyncio.get_running_loop()
        if self._changed is None or self._loop is not loop:
            self._changed = asyncio.Condition()
            self._loop = loop
        return self._changed

    def _expire(self, now: float) -> None:
        horizon = now - self.window - self.margin
        while self._sent and self._sent[0] <= horizon:
            self._sent.popleft()

    def delay(self) -> float:
        """Seconds until the next request may leave (0 when it may leave now)."""
        now = self._clock()
        self._expire(now)
        wait = self._paused_until - now
        if len(self._sent) >= self.requests:
            slot = self._sent[len(self._sent) - self.requests] + self.window + self.margin
            wait = max(wait, slot - now)
        return max(wait, 0.0)

    async def acquire(self, priority: int = 0) -> None:
        """Wait for a free slot in the window and book it for one request."""
        entry = (priority, next(self._order))
        changed = self._condition()
        heapq.heappush(self._waiting, entry)
        try:
            while True:
                if self._waiting[0] == entry:
                    wait = self.delay()
                    if wait <= 0:
                        heapq.heappop(self._waiting)
                        self._sent.append(self._clock())
                        return
                    await self._sleep(wait)
                else:
                    async with changed:
                        # Checked again under the lock, or a wake-up sent while we were
                        # taking the lock would be lost.
                        if self._waiting[0] != entry:
                            await changed.wait()
        finally:
            if entry in self._waiting:
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
            # Whoever is at the head now must look at the window again.
            async with changed:
                changed.notify_all()

    # -- what IO tells us ----------------------------------------------------------

    def on_response(self, headers: Mapping[str, str]) -> None:
        """Read the rate-limit headers of any answer other than a 429."""
        self._throttled_in_a_row = 0
        remaining = _number(headers.get(REMAINING_HEADER))
        if remaining is None:
            return
        now = self._clock()
        self._expire(now)
        ours = self.requests - len(self._sent)
        foreign = ours - int(remaining)
        # Phantom requests stand for the calls made by others on the same account.
        for _ in range(min(foreign, self.requests)):
            self._sent.append(now)
        if foreign > 0:
            # Keep the deque sorted: the phantoms start now, like the newest request.
            self._sent = deque(sorted(self._sent))

    def on_throttled(self, headers: Mapping[str, str]) -> float:
        """Pause every caller after a 429; returns the pause in seconds."""
        self._throttled_in_a_row += 1
        retry_after = _number(headers.get(RETRY_AFTER_HEADER))
        growing = min(self.backoff_cap, self.backoff_base * 2 ** (self._throttled_in_a_row - 1))
        base = max(retry_after, growing) if retry_after is not None else growing
        # Jitter only lengthens the wait: IO's retry-after is a minimum. It spreads the
        # retries of many waiting callers instead of sending them in one burst.
        wait = base * (1 + 0.25 * self._rng())
        self._paused_until = max(self._paused_until, self._clock() + wait)
        return wait


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for_account(name: str, requests: int = 150, window: float = 5.0) -> RateLimiter:
    """The one limiter of an IO account in this process, shared by all its services.

    A change of the account's limit replaces the limiter (the new budget applies from
    the next request)."""
    with _registry_lock:
        limiter = _registry.get(name)
        if limiter is None or (limiter.requests, limiter.window) != (requests, window):
            limiter = RateLimiter(requests, window)
            _registry[name] = limiter
        return limiter
