"""The per-account limiter, on a fake clock: every wait is asserted, none is waited."""

from __future__ import annotations

import asyncio

import pytest
from io_helpers import FakeClock

from appio_core.rate_limit import RateLimiter, limiter_for_account


def limiter(clock: FakeClock, requests: int = 3, **kwargs: float) -> RateLimiter:
    return RateLimiter(
        requests, 5.0, margin=0.1, clock=clock, sleep=clock.sleep, rng=lambda: 1.0, **kwargs
    )


async def test_a_full_window_makes_the_next_request_wait_for_the_oldest_to_leave(
    clock: FakeClock,
) -> None:
    rl = limiter(clock)
    for _ in range(3):
        await rl.acquire()
    assert clock.sleeps == []
    await rl.acquire()
    assert clock.sleeps == [pytest.approx(5.1)]


async def test_the_window_slides_a_slot_frees_when_its_request_is_older_than_the_window(
    clock: FakeClock,
) -> None:
    rl = limiter(clock)
    start = clock.now
    for offset in (0.0, 2.0, 4.0):
        clock.now = start + offset
        await rl.acquire()
    await rl.acquire()
    assert clock.sleeps == [pytest.approx(1.1)]  # the first one leaves at 5.1
    await rl.acquire()
    assert clock.now == pytest.approx(start + 7.1)  # then the one sent at 2.0


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
    rl = limiter(clock, requests=10)
    await rl.acquire()
    rl.on_response({"x-rate-limit-remaining": "5"})  # we think 9: 4 went to someone else
    for _ in range(5):
        await rl.acquire()
    assert clock.sleeps == []
    await rl.acquire()
    assert clock.sleeps == [pytest.approx(5.1)]


@pytest.mark.parametrize("value", ["", "abc", "-1", "nan"])
def test_unreadable_rate_limit_headers_are_ignored(clock: FakeClock, value: str) -> None:
    rl = limiter(clock, requests=10)
    rl.on_response({"x-rate-limit-remaining": value})
    assert rl.delay() == 0.0


def test_one_limiter_per_account_shared_by_its_services() -> None:
    first = limiter_for_account("test-account-a")
    assert limiter_for_account("test-account-a") is first
    assert limiter_for_account("test-account-b") is not first
    changed = limiter_for_account("test-account-a", 250, 5.0)
    assert changed is not first and changed.requests == 250


def test_a_limit_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Il limite di richieste deve essere positivo\."):
        RateLimiter(0, 5.0)
