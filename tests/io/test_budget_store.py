"""The shared budget on the database (SQLite and PostgreSQL): bookings spaced at the rate of
who else sends, bookers in threads and processes never given one slot twice, the worker's
presence and its look at the bookers' reserve. The clock is given: nothing is timed."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from io_helpers import FakeClock
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from appio_core.io import budget_store
from appio_core.io.budget import BudgetRow, Quota, book, switch_seconds
from appio_core.io.budget_pacing import BudgetWatch, SharedBudget
from appio_core.storage.models import IoAccount

QUOTA = Quota(150, 5.0)
NOW = 1_800_000_000.0
FULL = 5.4 / 149  # a window of 5.15 s and the 0.25 s a request may leave late
RESERVE = 5.4 / 14
SWITCH = switch_seconds(QUOTA, 15)


@pytest.fixture
def account(session: Session) -> int:
    account = IoAccount(name="Comune di Prova", rate_limit_requests=150)
    session.add(account)
    session.commit()
    return account.id


def at(seconds: float) -> FakeClock:
    return FakeClock(NOW + seconds)


def booked(engine: Engine, account: int, count: int, now: float = 0.0) -> list[float]:
    return [budget_store.book(engine, account, QUOTA, at(now)) - NOW for _ in range(count)]


@pytest.mark.parametrize(
    ("worker", "expected"),
    [
        (False, [0, 0, FULL, 2 * FULL, 3 * FULL]),
        (True, [SWITCH, SWITCH, SWITCH + RESERVE, SWITCH + 2 * RESERVE, SWITCH + 3 * RESERVE]),
    ],
    ids=["without a worker: the whole quota", "with a worker: its reserve"],
)
def test_bookings_on_the_database_are_spaced_at_the_rate_of_who_else_sends(
    engine: Engine, account: int, worker: bool, expected: list[float]
) -> None:
    if worker:
        budget_store.look(engine, account, QUOTA, 15, at(0))
    assert booked(engine, account, 5) == pytest.approx(expected, abs=1e-6)  # epoch seconds
    assert budget_store.bookings(engine, account) == 5


def serial_slots(count: int) -> list[float]:
    row, slots = BudgetRow(), []
    for _ in range(count):
        slot, row = book(row, QUOTA, NOW)
        slots.append(slot - NOW)
    return slots


def test_bookers_in_threads_never_get_a_slot_twice(engine: Engine, account: int) -> None:
    slots: list[float] = []
    lock = threading.Lock()

    def booker() -> None:
        mine = booked(engine, account, 10)
        with lock:
            slots.extend(mine)

    threads = [threading.Thread(target=booker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Whatever their order, the 80 bookings are the ones made one after the other.
    assert sorted(slots) == pytest.approx(serial_slots(80), abs=1e-6)
    assert budget_store.bookings(engine, account) == 80


BOOKER = """
import json, sys
from appio_core.io import budget_store
from appio_core.io.budget import Quota
from appio_core.storage.db import make_engine
engine = make_engine(sys.argv[1])
now = float(sys.argv[3])
slots = [
    budget_store.book(engine, int(sys.argv[2]), Quota(150, 5.0), lambda: now) for _ in range(10)
]
print(json.dumps(slots))
"""


def test_bookers_in_processes_never_get_a_slot_twice(db_url: str, account: int) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", BOOKER, db_url, str(account), repr(NOW)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    slots = []
    for process in processes:
        out, _ = process.communicate(timeout=120)  # a guard against a hang, not a measure
        assert process.returncode == 0
        slots += [slot - NOW for slot in json.loads(out)]
    assert sorted(slots) == pytest.approx(serial_slots(40), abs=1e-6)


def test_the_worker_writes_its_presence_when_due_and_reads_the_reserve_in_use(
    engine: Engine, account: int
) -> None:
    first = budget_store.look(engine, account, QUOTA, 15, at(0))
    assert first.sends_for == pytest.approx(1.0) and first.busy_for < 0  # nobody booked
    [slot] = booked(engine, account, 1, now=0.1)
    assert slot == pytest.approx(0.1 + SWITCH)  # the worker used the whole quota until then
    later = budget_store.look(engine, account, QUOTA, 15, at(0.2))
    # A plain read: the presence written at 0 still covers it.
    assert later.sends_for == pytest.approx(0.8)
    assert later.busy_for == pytest.approx(slot + 5.15 + 0.5 - 0.2)  # its window + the guard
    assert later.headroom_for == pytest.approx(later.busy_for + 60)
    renewed = budget_store.look(engine, account, QUOTA, 15, at(0.9))
    assert renewed.sends_for == pytest.approx(1.0)


def test_a_worker_arriving_counts_the_requests_booked_without_it(
    engine: Engine, account: int
) -> None:
    booked(engine, account, 3, now=-2.0)
    arriving = budget_store.look(engine, account, QUOTA, 15, at(0))
    assert arriving.others == 3
    staying = budget_store.look(engine, account, QUOTA, 15, at(0.1))
    assert staying.others == 0


async def test_a_caller_outside_the_worker_sleeps_until_its_slot(
    engine: Engine, account: int
) -> None:
    budget_store.look(engine, account, QUOTA, 15, at(0))  # a worker sends for the account
    clock = at(0)
    pacer = SharedBudget(engine, account, 150, 5.0, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        await pacer.acquire()
    # Nobody booked before: the worker uses the whole quota until it switches to the
    # reserve; then two at once, and the reserve's rate.
    assert clock.sleeps == pytest.approx([SWITCH, RESERVE, RESERVE])


async def test_a_caller_outside_the_worker_pauses_after_a_429_then_books_again(
    engine: Engine, account: int
) -> None:
    clock = at(0)
    pacer = SharedBudget(engine, account, 150, 5.0, clock=clock, sleep=clock.sleep, rng=lambda: 0)
    assert pacer.on_throttled({"x-rate-limit-retry-after": "2"}) == 2.0
    await pacer.acquire()
    assert clock.sleeps == [2.0]
    assert budget_store.bookings(engine, account) == 1


def test_the_bookers_use_the_reserve_the_worker_wrote(engine: Engine, account: int) -> None:
    watch = BudgetWatch(engine, account, 150, 5.0, reserve_percent=20, clock=at(0))
    assert (watch.reserve, watch.headroom) == (30, 2)
    assert watch.look() is not None
    switch, step = switch_seconds(QUOTA, 30), 5.4 / 29
    assert booked(engine, account, 3) == pytest.approx([switch, switch, switch + step], abs=1e-6)


class SlowClock(FakeClock):
    """A busy machine: each look at the clock finds it `reading` seconds later, each sleep
    ends `waking` seconds late."""

    def __init__(self, start: float, reading: float, waking: float) -> None:
        super().__init__(start)
        self.reading, self.waking = reading, waking

    def __call__(self) -> float:
        self.now += self.reading
        return self.now

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds + self.waking)


async def test_a_caller_woken_too_late_leaves_its_slot_unused_and_books_again(
    engine: Engine, account: int
) -> None:
    budget_store.look(engine, account, QUOTA, 15, at(0))  # the first slot after the switch
    clock = SlowClock(NOW, reading=0.0, waking=0.3)
    pacer = SharedBudget(engine, account, 150, 5.0, clock=clock, sleep=clock.sleep)
    await pacer.acquire()
    # Woken 0.3 s after its slot: sent on a second one, at once; the first stays unused.
    assert clock.sleeps == [pytest.approx(SWITCH + 0.3)]
    assert budget_store.bookings(engine, account) == 2


async def test_a_caller_late_three_times_sends_all_the_same(
    engine: Engine, account: int, caplog: pytest.LogCaptureFixture
) -> None:
    clock = SlowClock(NOW, reading=0.3, waking=0.0)
    pacer = SharedBudget(engine, account, 150, 5.0, clock=clock, sleep=clock.sleep)
    await pacer.acquire()
    assert budget_store.bookings(engine, account) == 3
    assert "booked 3 times, late each time: sent" in caplog.text
