"""The worker's limiter and the account's shared budget, on a fake clock: it keeps the
bookers' reserve free only while they use it, looks at the budget before sending on a stale
look, and never sends once what it wrote of its presence has run out."""

from __future__ import annotations

import pytest
from io_helpers import IDLE, QUIET, FakeClock, FakeWatch

from appio_core.io.rate_limit import RateLimiter, ReserveReading

BUSY = ReserveReading(busy_for=100.0, headroom_for=160.0, sends_for=1.0, others=0, others_at=0.0)


def worker_limiter(clock: FakeClock, watch: FakeWatch) -> RateLimiter:
    # 10 per 5 s, margin 0.1: one every 0.51 s, a window of 5.1 s; reserve 3, headroom 1.
    return RateLimiter(10, 5.0, margin=0.1, watch=watch, clock=clock, sleep=clock.sleep)


async def sent_in_first_window(clock: FakeClock, rl: RateLimiter) -> int:
    start = clock.now
    count = 0
    while True:
        await rl.acquire()
        if clock.now - start >= 5.1 - 1e-6:  # (a sum of float steps)
            return count
        count += 1


@pytest.mark.parametrize(
    ("reading", "sent"),
    [
        (QUIET, 10),  # nobody else for a while: the whole quota
        (IDLE, 9),  # the reserve idle, used a while ago: all but the headroom (1)
        (BUSY, 7),  # the bookers use it: all but the reserve (3)
    ],
)
async def test_the_worker_keeps_the_reserve_free_only_while_the_bookers_use_it(
    clock: FakeClock, reading: ReserveReading, sent: int
) -> None:
    rl = worker_limiter(clock, FakeWatch(readings=[reading]))
    assert await sent_in_first_window(clock, rl) == sent


async def test_the_worker_gives_the_reserve_back_then_its_headroom(clock: FakeClock) -> None:
    # The bookers' last slot keeps the reserve busy for 6 s, the headroom for 36 s.
    used = ReserveReading(busy_for=6.0, headroom_for=36.0, sends_for=1.0, others=0, others_at=0)
    rl = worker_limiter(clock, FakeWatch(readings=[used, QUIET]))
    assert await sent_in_first_window(clock, rl) == 7
    clock.now += 10  # the window empties; the reserve is idle
    assert await sent_in_first_window(clock, rl) == 9
    clock.now += 30  # and the headroom is over
    assert await sent_in_first_window(clock, rl) == 10


async def test_the_worker_looks_at_the_budget_before_a_send_once_its_look_is_stale(
    clock: FakeClock,
) -> None:
    watch = FakeWatch(poll_seconds=1.0)
    rl = worker_limiter(clock, watch)
    for _ in range(6):  # at 0, 0.51, ..., 2.55 s: a look at 0, 1.02, 2.04
        await rl.acquire()
    assert watch.looks == 3


async def test_a_budget_that_cannot_be_read_keeps_the_reserve_and_stops_the_sends_after(
    clock: FakeClock,
) -> None:
    # Read at 0 (presence for 1 s); then unreadable until the look at 2.02 s.
    watch = FakeWatch(readings=[IDLE, None, None, None, None, None, IDLE])
    rl = worker_limiter(clock, watch)
    start = clock.now
    times = []
    for _ in range(4):
        await rl.acquire()
        times.append(round(clock.now - start, 2))
    # 0.51: unread, sent on the presence (1 s); 1.02: past it, a look every 0.25 s until
    # one reads (the 7th look, at 2.02 s).
    assert times == [0.0, 0.51, 2.02, 2.53]
    assert watch.looks == 8


async def test_a_budget_that_cannot_be_read_is_taken_for_one_in_use(clock: FakeClock) -> None:
    long_presence = ReserveReading(
        busy_for=-1.0, headroom_for=-1.0, sends_for=100.0, others=0, others_at=0.0
    )
    rl = worker_limiter(clock, FakeWatch(readings=[long_presence, None]))
    assert await sent_in_first_window(clock, rl) == 7  # the reserve kept, not 9


async def test_a_worker_arriving_counts_the_bookers_requests_still_in_the_window(
    clock: FakeClock,
) -> None:
    # The bookers had the whole quota: 4 of their requests may still count, the last one
    # leaving in 0.3 s. They fill the window as if this worker had sent them then.
    arriving = ReserveReading(
        busy_for=-1.0, headroom_for=100.0, sends_for=1.0, others=4, others_at=0.3
    )
    rl = worker_limiter(clock, FakeWatch(readings=[arriving, IDLE]))
    start = clock.now
    times = []
    for _ in range(6):
        await rl.acquire()
        times.append(round(clock.now - start, 2))
    # 5 of its own and 4 phantoms fill the 9 of the headroom's capacity; the 6th waits
    # for its first to leave the window.
    assert times == [0.0, 0.51, 1.02, 1.53, 2.04, 5.1]


@pytest.mark.parametrize(
    ("watch", "phantoms"),
    [
        (None, 2),  # no budget: 9 left by our count, 5 by IO's: 4, less the tolerance (2)
        (FakeWatch(readings=[QUIET]), 2),  # nobody booked for a while: the same
        (FakeWatch(readings=[IDLE]), 1),  # reserve idle: less the headroom (1) too
        (FakeWatch(readings=[BUSY]), 0),  # reserve in use: less the reserve (3)
    ],
)
async def test_the_bookers_requests_that_io_counts_are_not_taken_for_a_strangers(
    clock: FakeClock, watch: FakeWatch | None, phantoms: int
) -> None:
    rl = RateLimiter(10, 5.0, margin=0.1, watch=watch, clock=clock, sleep=clock.sleep)
    await rl.acquire()
    rl.on_response({"x-rate-limit-remaining": "5"})
    assert len(rl._sent) == 1 + phantoms  # the window: ours and the phantoms booked
