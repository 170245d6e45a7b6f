"""The per-account limiter, on a fake clock: every wait is asserted, none is waited."""

from __future__ import annotations

import asyncio
import threading

import pytest
from io_helpers import FakeClock, FakeWatch

from appio_core.errors import InvalidInput
from appio_core.io.rate_limit import RateLimiter, limiter_for_account


def limiter(clock: FakeClock, requests: int = 3, **kwargs: float) -> RateLimiter:
    return RateLimiter(
        requests, 5.0, margin=0.1, clock=clock, sleep=clock.sleep, rng=lambda: 1.0, **kwargs
    )


async def test_requests_leave_evenly_spaced_a_window_over_the_quota_apart(
    clock: FakeClock,
) -> None:
    rl = limiter(clock)  # 3 per 5 s, margin 0.1: one every 1.7 s
    start = clock.now
    times = []
    for _ in range(4):
        await rl.acquire()
        times.append(clock.now - start)
    assert times == pytest.approx([0.0, 1.7, 3.4, 5.1])


async def test_after_a_quiet_spell_the_first_request_leaves_at_once(clock: FakeClock) -> None:
    rl = limiter(clock)
    await rl.acquire()
    clock.now += 60
    await rl.acquire()
    assert clock.sleeps == []


async def test_requests_late_by_a_little_catch_up_with_the_schedule_back_to_back(
    clock: FakeClock,
) -> None:
    rl = RateLimiter(150, 5.0, margin=0.15, clock=clock, sleep=clock.sleep)  # one every 34 ms
    start = clock.now
    await rl.acquire()
    clock.now += 0.2  # a busy machine: the next caller comes 0.2 s late
    for _ in range(5):  # the five slots missed meanwhile, at once
        await rl.acquire()
    assert clock.now == pytest.approx(start + 0.2)
    await rl.acquire()  # then the schedule again
    assert clock.now == pytest.approx(start + 6 * rl.interval)
    clock.now += 0.5  # a longer pause: the schedule starts afresh, no burst
    await rl.acquire()
    await rl.acquire()
    assert clock.sleeps[-1] == pytest.approx(rl.interval)


async def test_sends_go_before_status_reads_that_were_waiting_first(clock: FakeClock) -> None:
    rl = limiter(clock, requests=1)
    await rl.acquire()
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        await rl.acquire(priority)
        order.append(name)

    read = asyncio.create_task(take("lettura", 1))
    await asyncio.sleep(0)
    send = asyncio.create_task(take("invio", 0))
    await asyncio.gather(read, send)
    assert order == ["invio", "lettura"]


async def test_a_cancelled_waiter_does_not_block_the_others(clock: FakeClock) -> None:
    rl = limiter(clock, requests=1)
    await rl.acquire()
    stuck = asyncio.create_task(rl.acquire(0))
    await asyncio.sleep(0)
    stuck.cancel()
    await asyncio.wait_for(rl.acquire(1), timeout=1)
    assert stuck.cancelled()


async def test_a_429_pauses_everyone_for_the_retry_after_plus_jitter(clock: FakeClock) -> None:
    rl = limiter(clock, requests=100)
    wait = rl.on_throttled({"x-rate-limit-retry-after": "3"})
    assert wait == pytest.approx(3.75)  # jitter only lengthens IO's wait (rng = 1.0: +25%)
    await rl.acquire()
    assert clock.sleeps == [pytest.approx(3.75)]


def test_429s_in_a_row_without_retry_after_wait_longer_up_to_the_cap(clock: FakeClock) -> None:
    rl = RateLimiter(100, 5.0, backoff_base=0.5, backoff_cap=4.0, clock=clock, rng=lambda: 0.0)
    waits = [rl.on_throttled({}) for _ in range(6)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    rl.on_response({})
    assert rl.on_throttled({}) == 0.5


async def test_fewer_remaining_requests_than_ours_mean_someone_else_shares_the_account(
    clock: FakeClock,
) -> None:
    rl = limiter(clock, requests=10)  # one every 0.51 s
    start = clock.now
    await rl.acquire()
    # We think 9 remain, IO says 3: 6 went to someone else. Less the tolerance for the
    # edge of the window (2), 4 are booked as if sent now.
    rl.on_response({"x-rate-limit-remaining": "3"})
    times = []
    for _ in range(6):
        await rl.acquire()
        times.append(clock.now - start)
    # While the account is shared a reserve of 1 is kept: four more fill the window (ours,
    # 4 phantoms, 4 more = 9); the fifth waits for the first request and the phantoms to
    # leave the window (5.1 s), not just for its turn (2.55 s); then the even spacing.
    assert times == pytest.approx([0.51, 1.02, 1.53, 2.04, 5.1, 5.61])


async def test_a_small_difference_is_ios_clock_at_the_window_edge_not_a_stranger(
    clock: FakeClock,
) -> None:
    rl = limiter(clock, requests=10)
    await rl.acquire()
    rl.on_response({"x-rate-limit-remaining": "7"})  # 9 by our count: within tolerance
    for _ in range(9):
        await rl.acquire()
    assert clock.sleeps == pytest.approx([0.51] * 9)  # only the even spacing


@pytest.mark.parametrize("value", ["", "abc", "-1", "nan"])
def test_unreadable_rate_limit_headers_are_ignored(clock: FakeClock, value: str) -> None:
    rl = limiter(clock, requests=10)
    rl.on_response({"x-rate-limit-remaining": value})
    assert rl.delay() == 0.0


def test_two_threads_with_their_own_event_loops_share_one_limiter(clock: FakeClock) -> None:
    # The dispatcher's loop in its thread and a page's asyncio.run() use the same
    # account limiter: waiters of one loop must be woken by the other.
    rl = limiter(clock, requests=1)
    start = clock.now
    done: list[str] = []

    def run(name: str) -> None:
        async def many() -> None:
            await asyncio.gather(*(rl.acquire(n % 2) for n in range(10)))
            done.append(name)

        asyncio.run(many())

    threads = [threading.Thread(target=run, args=(name,)) for name in ("worker", "page")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)  # a guard against a deadlock, not a measure of time
    assert sorted(done) == ["page", "worker"]
    # One slot per window: the 20 requests took at least 19 windows of the shared clock.
    assert clock.now - start >= 19 * 5.1 - 1e-9


def test_one_limiter_per_account_shared_by_its_services() -> None:
    watch = FakeWatch()
    first = limiter_for_account("test-account-a", 150, 5.0, watch)
    assert first is not None
    assert limiter_for_account("test-account-a", 150, 5.0, watch) is first
    assert limiter_for_account("test-account-b", 150, 5.0, watch) is not first
    changed = limiter_for_account("test-account-a", 250, 5.0, watch)
    assert changed is not None and changed is not first and changed.requests == 250


def test_a_limiter_watching_another_budget_replaces_the_accounts_limiter() -> None:
    first = limiter_for_account("test-account-c", 150, 5.0, FakeWatch(key="database-1"))
    again = limiter_for_account("test-account-c", 150, 5.0, FakeWatch(key="database-1"))
    other = limiter_for_account("test-account-c", 150, 5.0, FakeWatch(key="database-2"))
    assert again is first and other is not first


def test_an_account_of_0_requests_has_no_limiter() -> None:
    assert limiter_for_account("test-account-unlimited", 0, 5.0, FakeWatch()) is None


def test_a_limit_that_is_not_positive_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"Il limite di richieste deve essere positivo\."):
        RateLimiter(0, 5.0)
