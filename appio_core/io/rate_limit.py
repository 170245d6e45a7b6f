"""Client-side pacing of the calls to IO, one limiter per IO account.

IO's gateway allows N requests per sliding window per account (150 per 5 s by default),
counted over every operation of every service of the account. Going over it costs a
429 and a pause, so the limiter makes callers wait for their turn instead:
- requests leave evenly spaced, one every (window + margin) / N seconds, rather than in
  bursts of N. A burst leaves our process over a few hundred milliseconds (more when
  the CPU is busy) while its slots are all stamped at once: the next burst, stamped a
  window later, then reaches IO less than a window after the end of the previous one,
  and is throttled. Measured (bench/bench_limiter.py): bursts got 0.65% of 429s and,
  with the pauses they cost, half of the quota; even spacing gets none;
- it also keeps its own sliding window of the requests it let through, which is what
  binds after a pause and when the account is shared (below).
It corrects itself with what IO says:
- `x-rate-limit-remaining` lower than our own count means someone else (another
  process, another installation) spends the same account: the difference is booked
  as phantom requests so that we slow down accordingly, and while that lasts a small
  reserve (5%) is kept for what the others sent since their last answer;
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

from appio_core.errors import InvalidInput

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

REMAINING_HEADER = "x-rate-limit-remaining"
# Requests late by up to this much catch up with the even schedule (at most ~9 back to
# back at 150 per 5 s), a small burst IO's window and our margin absorb.
CATCH_UP_SECONDS = 0.3
RETRY_AFTER_HEADER = "x-rate-limit-retry-after"


class RateLimiter:
    def __init__(
        self,
        requests: int = 150,
        window: float = 5.0,
        *,
        margin: float = 0.15,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if requests < 1 or window <= 0:
            raise InvalidInput("Il limite di richieste deve essere positivo.")
        self.requests = requests
        self.window = window
        # Our clock starts a request when it leaves, IO's when it arrives: a request that
        # travels faster than the one sent a window earlier would be counted inside
        # IO's window. A margin on the window absorbs that jitter (3% at 5 s).
        self.margin = margin
        self.interval = (window + margin) / requests
        # How late a request may be and still keep to the schedule (see acquire()).
        self.catch_up = max(self.interval, CATCH_UP_SECONDS)
        self.tolerance = max(2, requests // 50)
        self.reserve = max(1, requests // 20)
        self._shared_until = -math.inf
        self._due = -math.inf  # when the next request may leave, on the even schedule
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
        # Waiters that are not at the head sleep on a future of their own event loop. The
        # limiter of an account is shared by the whole process: the dispatcher's loop in
        # its thread and a page's asyncio.run() in another may wait on it at once, so the
        # state is guarded by a thread lock and wake-ups cross loops thread-safely.
        self._wakers: dict[tuple[int, int], tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]
        self._wakers = {}
        self._lock = threading.Lock()

    # -- acquiring ---------------------------------------------------------------

    def _expire(self, now: float) -> None:
        horizon = now - self.window - self.margin
        while self._sent and self._sent[0] <= horizon:
            self._sent.popleft()

    def _delay(self) -> float:
        now = self._clock()
        self._expire(now)
        wait = max(self._paused_until, self._due) - now
        # While someone else spends the account too, what we know of their requests is
        # late by a round trip: keep a reserve for what they sent meanwhile.
        capacity = self.requests - (self.reserve if now < self._shared_until else 0)
        if len(self._sent) >= capacity:
            slot = self._sent[len(self._sent) - capacity] + self.window + self.margin
            wait = max(wait, slot - now)
        return max(wait, 0.0)

    def delay(self) -> float:
        """Seconds until the next request may leave (0 when it may leave now)."""
        with self._lock:
            return self._delay()

    def _wake_head(self) -> None:
        """Tell the (new) head of the queue to look at the window. Lock held."""
        if self._waiting:
            waker = self._wakers.pop(self._waiting[0], None)
            if waker is not None:
                loop, future = waker
                loop.call_soon_threadsafe(_resolve, future)

    async def acquire(self, priority: int = 0) -> None:
        """Wait for a free slot in the window and book it for one request."""
        loop = asyncio.get_running_loop()
        entry = (priority, next(self._order))
        with self._lock:
            heapq.heappush(self._waiting, entry)
        try:
            while True:
                future: asyncio.Future[None] | None = None
                with self._lock:
                    if self._waiting[0] == entry:
                        wait = self._delay()
                        if wait <= 0:
                            heapq.heappop(self._waiting)
                            now = self._clock()
                            # A waiter wakes a little after its time, more on a busy
                            # machine, and the requests may pause for a database commit:
                            # keep to the schedule (the late ones leave back to back) rather
                            # than start it again from now, or those delays add up (3% of
                            # the quota on a quiet machine, 10% with three workers on two
                            # busy cores: bench/RESULTS-scale.md). The sliding window still
                            # bounds every window. After a longer pause, start afresh.
                            on_time = now - self._due < self.catch_up
                            self._due = (self._due if on_time else now) + self.interval
                            self._sent.append(now)
                            self._wake_head()
                            return
                    else:
                        # Registered under the lock: a head that leaves after this
                        # point is sure to wake us.
                        future = loop.create_future()
                        self._wakers[entry] = (loop, future)
                if future is None:
                    await self._sleep(wait)
                else:
                    await future
        finally:
            with self._lock:
                self._wakers.pop(entry, None)
                if entry in self._waiting:  # cancelled while waiting
                    self._waiting.remove(entry)
                    heapq.heapify(self._waiting)
                    self._wake_head()

    # -- what IO tells us ----------------------------------------------------------

    def on_response(self, headers: Mapping[str, str]) -> None:
        """Read the rate-limit headers of any answer other than a 429."""
        self._throttled_in_a_row = 0
        remaining = _number(headers.get(REMAINING_HEADER))
        if remaining is None:
            return
        with self._lock:
            self._book_foreign(int(remaining))

    def _book_foreign(self, remaining: int) -> None:
        now = self._clock()
        self._expire(now)
        ours = self.requests - len(self._sent)
        # IO counts a request from its arrival, we from its departure plus the margin: at
        # the edge of the window IO may still count one or two of ours that we have let
        # go. Below this tolerance the difference is that, not someone else.
        foreign = ours - remaining - self.tolerance
        # Phantom requests stand for the calls made by others on the same account. They
        # start now, so the deque stays in time order.
        for _ in range(min(foreign, self.requests)):
            self._sent.append(now)
        if foreign > 0:
            self._shared_until = now + self.window

    def on_throttled(self, headers: Mapping[str, str]) -> float:
        """Pause every caller after a 429; returns the pause in seconds."""
        self._throttled_in_a_row += 1
        retry_after = _number(headers.get(RETRY_AFTER_HEADER))
        growing = min(self.backoff_cap, self.backoff_base * 2 ** (self._throttled_in_a_row - 1))
        base = max(retry_after, growing) if retry_after is not None else growing
        # Jitter only lengthens the wait: IO's retry-after is a minimum. It spreads the
        # retries of many waiting callers instead of sending them in one burst.
        wait = base * (1 + 0.25 * self._rng())
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + wait)
        return wait


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


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


def limiter_for_account(name: str, requests: int = 150, window: float = 5.0) -> RateLimiter | None:
    """The one limiter of an IO account in this process, shared by all its services;
    None when the account has no limit (`requests` = 0: IO has a few such accounts).

    Everything that calls IO for an account gets its limiter here, so that the meaning of
    0 is decided once. A change of the account's limit replaces the limiter (the new
    budget applies from the next request)."""
    if requests == 0:
        return None
    with _registry_lock:
        limiter = _registry.get(name)
        if limiter is None or (limiter.requests, limiter.window) != (requests, window):
            limiter = RateLimiter(requests, window)
            _registry[name] = limiter
        return limiter
