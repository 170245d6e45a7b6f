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

This limiter is the account's lease holder's (the worker's) alone: the registry below
hands one out only with a `ReserveWatch`, the worker's view of the account's shared
budget (budget.py), which it reads before a send when its last look is older than the
watch's `poll_seconds`. While single messages and checks of other processes use their
reserve, the limiter keeps that reserve of every window free (the same `reserve` and
`_shared_until` it keeps when IO's headers show someone else); otherwise only a small
`headroom`. Callers outside the worker pace themselves on the budget (budget_pacing.py).
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Protocol

from appio_core.errors import InvalidInput

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

REMAINING_HEADER = "x-rate-limit-remaining"
# Requests late by up to this much catch up with the even schedule (at most ~9 back to
# back at 150 per 5 s), a small burst IO's window and our margin absorb.
CATCH_UP_SECONDS = 0.3
# Our window is IO's plus this margin (see RateLimiter.margin).
MARGIN_SECONDS = 0.15
RETRY_AFTER_HEADER = "x-rate-limit-retry-after"
# requests = 0: the account has no limit, nothing paces its calls (IO has a few such).
NO_LIMIT = 0


class Pacer(Protocol):
    """What the IO client asks of whatever paces an account's requests: this limiter in
    the worker, the shared budget elsewhere (budget_pacing.SharedBudget)."""

    async def acquire(self, priority: int = 0) -> None: ...

    def on_response(self, headers: Mapping[str, str]) -> None: ...

    def on_throttled(self, headers: Mapping[str, str]) -> float: ...


@dataclass(frozen=True)
class ReserveReading:
    """A look at the account's shared budget, in seconds from the look."""

    busy_for: float  # the others may use their reserve this long: keep it free
    headroom_for: float  # and may take the headroom at once this long: keep that free
    sends_for: float  # the worker's presence is written for sends this long
    others: int  # requests the others booked at the full rate, still in the window
    others_at: float  # when the latest of them leaves (booked as phantoms from then)


class ReserveWatch(Protocol):
    """The worker's view of its account's shared budget (budget_pacing.BudgetWatch)."""

    reserve: int  # requests of each window kept free while the others use them
    headroom: int  # kept free for a while after (the others' next requests leave at once)
    poll_seconds: float

    @property
    def key(self) -> Hashable:
        """The budget it watches: a limiter is replaced when it changes."""
        ...

    def look(self) -> ReserveReading | None:
        """None when the budget could not be read."""
        ...


class RateLimiter:
    def __init__(
        self,
        requests: int = 150,
        window: float = 5.0,
        *,
        margin: float = MARGIN_SECONDS,
        watch: ReserveWatch | None = None,
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
        # Kept free while the account is shared: 5% for what others sent since their last
        # answer, or the reserve of the shared budget; for a while after, its headroom.
        self.reserve = watch.reserve if watch is not None else max(1, requests // 20)
        self.headroom = watch.headroom if watch is not None else 0
        self._shared_until = -math.inf
        self._watch = watch
        self._looked_at = -math.inf
        # Until when the budget's bookers may use their reserve, and this limiter may send
        # (its presence written in the budget); without a watch, nothing to wait for.
        self._reserve_until = -math.inf
        self._headroom_until = -math.inf
        self._sends_until = -math.inf if watch is not None else math.inf
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
        # limiter of an account is shared by the whole process: two dispatchers' loops in
        # their threads may wait on it at once, so the state is guarded by a thread lock
        # and wake-ups cross loops thread-safely.
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
        capacity = max(1, self.requests - self._kept(now, self._shared_until))
        if len(self._sent) >= capacity:
            slot = self._sent[len(self._sent) - capacity] + self.window + self.margin
            wait = max(wait, slot - now)
        return max(wait, 0.0)

    def _kept(self, now: float, shared_until: float) -> int:
        """The requests of the window kept free for others."""
        if now < shared_until:
            return self.reserve
        return self.headroom if now < self._headroom_until else 0

    @property
    def watch_key(self) -> Hashable:
        return None if self._watch is None else self._watch.key

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
                if self._watch is not None and not await self._look(entry):
                    continue
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
                            self._count(now)
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

    # -- the shared budget -----------------------------------------------------------

    async def _look(self, entry: tuple[int, int]) -> bool:
        """At the head of the queue, reads the budget when the last look is too old to
        send on. False when it could not be read and the presence written has run out:
        the caller tries again after a pause (never sends blind)."""
        assert self._watch is not None
        with self._lock:
            now = self._clock()
            fresh = now - self._looked_at < self._watch.poll_seconds
            if self._waiting[0] != entry or (fresh and now < self._sends_until):
                return True
        # Outside the lock: a database read, on the event loop's thread (a millisecond,
        # every poll_seconds at most, like the dispatcher's own commits).
        reading = self._watch.look()
        with self._lock:
            now = self._clock()
            self._looked_at = now
            if reading is None:
                # What is known may be stale: keep the reserve while sending on it.
                self._shared_until = max(self._shared_until, now + self.window + self.margin)
            else:
                self._take(reading, now)
            able = now < self._sends_until
        if not able:
            await self._sleep(self._watch.poll_seconds)
        return able

    def _take(self, reading: ReserveReading, now: float) -> None:
        """Lock held."""
        self._sends_until = now + reading.sends_for
        if reading.busy_for > 0:
            self._reserve_until = max(self._reserve_until, now + reading.busy_for)
            self._shared_until = max(self._shared_until, self._reserve_until)
        self._headroom_until = max(self._headroom_until, now + reading.headroom_for)
        # What the others booked at the full rate before this worker came, counted as sent
        # when the latest of them leaves; kept in time order.
        at = now + reading.others_at
        for _ in range(min(reading.others, self.requests)):
            self._count(at)

    def _count(self, at: float) -> None:
        """One request (or phantom) in the window, which stays in time order: phantoms of
        the shared budget may start a little ahead. Lock held."""
        if self._sent and self._sent[-1] > at:
            bisect.insort(self._sent, at)
        else:
            self._sent.append(at)

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
        # go. Below this tolerance the difference is that, not someone else. Nor is what
        # the shared budget's bookers may use (the reserve kept for them, or the headroom).
        expected = self._kept(now, self._reserve_until)
        foreign = ours - remaining - self.tolerance - expected
        # Phantom requests stand for the calls made by others on the same account.
        for _ in range(min(foreign, self.requests)):
            self._count(now)
        if foreign > 0:
            self._shared_until = now + self.window

    def on_throttled(self, headers: Mapping[str, str]) -> float:
        """Pause every caller after a 429; returns the pause in seconds."""
        self._throttled_in_a_row += 1
        wait = throttled_wait(
            headers, self._throttled_in_a_row, self.backoff_base, self.backoff_cap, self._rng
        )
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + wait)
        return wait


def throttled_wait(
    headers: Mapping[str, str],
    in_a_row: int,
    base: float,
    cap: float,
    rng: Callable[[], float],
) -> float:
    """The pause after the `in_a_row`-th 429 in a row: IO's retry-after when it says one,
    else growing up to `cap`."""
    retry_after = _number(headers.get(RETRY_AFTER_HEADER))
    growing = min(cap, base * 2 ** (in_a_row - 1))
    wait = max(retry_after, growing) if retry_after is not None else growing
    # Jitter only lengthens the wait: IO's retry-after is a minimum. It spreads the
    # retries of many waiting callers instead of sending them in one burst.
    return wait * (1 + 0.25 * rng())


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


def unlimited(requests: int) -> bool:
    return requests == NO_LIMIT


def limiter_for_account(
    name: str, requests: int, window: float, watch: ReserveWatch
) -> RateLimiter | None:
    """The one limiter of an IO account in this process, for the worker that holds the
    account's lease; None when the account has no limit.

    Only with the watch of the account's shared budget: a limiter of its own beside the
    others' bookings would spend the whole quota on top of them (every other caller books
    on the budget: budget_pacing.py). A change of the account's limit or budget replaces
    the limiter (the new budget applies from the next request)."""
    if unlimited(requests):
        return None
    with _registry_lock:
        limiter = _registry.get(name)
        wanted = (requests, window, watch.key)
        if limiter is None or (limiter.requests, limiter.window, limiter.watch_key) != wanted:
            limiter = RateLimiter(requests, window, watch=watch)
            _registry[name] = limiter
        return limiter
