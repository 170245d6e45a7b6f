"""One IO account's limit, one budget for every process: the rules, without the database.

IO allows N requests per sliding window W per account. The worker that holds an account's
lease (appio_core.sending.dispatcher) paces its sends with a fast limiter of its own
(rate_limit.py): no database round trip per request. Everything else that calls IO for
the account (a single message, a test send, a profile or status check, from the web or
the CLI: the *bookers*) books each request on a row of `account_budgets` shared by all
processes, and sleeps until the slot it got. The rules:

**Bookers: a GCRA on the row.** The row keeps `tat` (the GCRA's theoretical arrival
time). A booker locks the row, takes `slot = max(now, tat - tau)` and moves `tat` to
`max(tat, slot) + T`, with a burst of `BURST` = 2 (`tau = (BURST - 1) T`: a profile check
and its send leave back to back). Over any span S the slots are then at most
`S / T + BURST - 1`: with `T = S / (K - BURST + 1)`, at most K. A request leaves at most
`LATE_SECONDS` after its slot (a booker woken later books again: its slot stays unused),
so S is L + `LATE_SECONDS`, L = W + margin being the limiter's window (the margin against
arrival jitter, 0.15 s): at most K requests leave in any L. K is
- the *reserve* R (`APPIO_SINGLE_RESERVE_PERCENT` of N, 10% by default, at least 2) while
  a worker sends for the account;
- N when none does: then the bookers have the whole quota.

**The worker: a reserve, kept only while it is used.** The worker writes in the row that it
is present (`worker_until`) and the reserve it keeps (`reserve`), and looks at the row at
least every `POLL_SECONDS` before a send leaves (in its limiter's `acquire`, so that a
busy event loop cannot make it late: the look is part of sending). While the bookers'
latest slot (`last_slot`) is less than a window old (plus `GUARD_SECONDS`), it keeps R
slots of every window free (the limiter's `reserve`, the same one it keeps when IO's
headers show someone else on the account); for `HEADROOM_SECONDS` more, only `BURST` (its
`headroom`: an operator at work sends another single message soon); then none, and the
flow has the whole quota.

**Why the sum stays within N** in every window of ours (L: IO's W plus the margin, so that
the margin against arrival jitter is kept for the bookers' requests too):
- *Warm reserve.* A booker that finds `last_slot + L > now` books at the reserve's rate at
  once. The worker's latest look is at most `POLL_SECONDS` old at any of its sends, and it
  saw `last_slot` or an earlier slot whose reserve it keeps until that slot + L +
  `GUARD_SECONDS`; the guard (a look's age plus a booking's commit) carries that reserve
  to its next look, which sees this booking and keeps the reserve until this slot + L +
  guard. So the reserve is kept without a gap: worker <= N - R, bookers <= R.
- *Cold reserve* (the worker's sliding window already full when a single message comes).
  A booker that finds the reserve idle cannot know when the worker will see it, and the
  worker's window may hold N of its own, or N - BURST while it keeps its headroom (the
  bookers' latest slot is less than a window and `HEADROOM_SECONDS` old: the same test,
  without the guard, as the worker's). Then the first `BURST` slots of this cold spell use
  that headroom at once (a single message, a profile check and its send, leaves without
  waiting; `early` counts what is left of it); any other slot waits for `warm_from`: the
  booking's commit (`LATE_SECONDS`), the worker's next look (`POLL_SECONDS`), then the
  time its window needs to drop to N - R. Its sends are evenly spaced (one every L / N,
  late ones catching up by at most `CATCH_UP_SECONDS`), so its requests in a window
  shortened by x are at most N - x N / L + (catch-up) N / L + 2: R + 2 intervals and the
  catch-up (`switch_seconds`, 1.4 s at 150 per 5 s).
- *No worker.* The worker writes `worker_until` = its look + L + `PRESENCE_SECONDS` and
  sends only while its latest look has `worker_until` at least a window ahead: once the
  row says no worker, none of its requests is left in the window, and the bookers may
  take the whole quota. The presence is written in the bookers' locked row: a booking
  comes before it (and the worker's look returns it) or after it (and books at the
  reserve's rate).
- *A worker arriving* after the bookers had the whole quota books what they may still
  have in the window as phantom requests of its limiter, as it does for what IO's headers
  tell it of others: the row counts the slots of the last two spans of L (`bucket`,
  `count`, `previous`), which hold the window.
Clocks: the row holds wall-clock seconds (`time.time()`), the same for every process of
one machine; across machines they must be NTP-close (the margin takes a few ms).

What it costs the flow: the reserve, R / N of the quota (10%), from a single message's
first slot to a window and the guard after its last; the headroom, BURST / N (1.3% at 150
per 5 s), for `HEADROOM_SECONDS` after that; nothing otherwise. What it costs a single
message: nothing within a minute of the previous one; after that, its first request waits
for the switch (bench/bench_single_during_flow.py).

Left to IO's answers (the limiter's phantom bookings and 429 pauses), as before this
budget: a lease taken over from another worker whose requests are still in IO's window,
another installation on the same account, a booking whose commit takes longer than
`LATE_SECONDS`, or a booker late three times in a row (a machine so loaded that a 1 ms
transaction or a wake-up takes 250 ms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from appio_core.io.rate_limit import CATCH_UP_SECONDS, MARGIN_SECONDS, ReserveReading

BURST = 2
# The worker's knowledge of the row, at a send, is never older than this.
POLL_SECONDS = 0.25
# A booking's clock is read with the row locked; its commit comes within this (a guess with
# room: a few milliseconds on a quiet machine), and its request leaves within this of its
# slot (a booker woken later books again).
LATE_SECONDS = 0.25
GUARD_SECONDS = POLL_SECONDS + LATE_SECONDS
# The worker writes its presence this far past a window; again when less than a look is left.
PRESENCE_SECONDS = 1.0
# After the bookers' reserve falls idle, the worker keeps its headroom this long: the next
# single message of an operator at work leaves at once.
HEADROOM_SECONDS = 60.0
DEFAULT_RESERVE_PERCENT = 10


@dataclass(frozen=True)
class Quota:
    """An account's limit as both sides pace it: N requests per W seconds, plus the margin."""

    requests: int
    window: float

    @property
    def span(self) -> float:
        return self.window + MARGIN_SECONDS

    @property
    def interval(self) -> float:
        return self.span / self.requests


def reserve_size(requests: int, percent: int) -> int:
    """The requests of each window kept for the bookers while a worker sends: `percent` of
    the quota, at least a burst, always leaving one to the worker."""
    return max(1, min(requests - 1, max(BURST, requests * percent // 100)))


def switch_seconds(quota: Quota, reserve: int) -> float:
    """From a cold booking to the moment the worker's window surely holds N - R at most."""
    catch_up = max(quota.interval, CATCH_UP_SECONDS)
    return LATE_SECONDS + POLL_SECONDS + catch_up + (reserve + 2) * quota.interval


@dataclass(frozen=True)
class BudgetRow:
    """The columns of `account_budgets` (wall-clock seconds)."""

    tat: float = 0.0
    last_slot: float = 0.0
    warm_from: float = 0.0
    early: int = 0  # slots of the current cold spell still allowed before warm_from
    worker_until: float = 0.0
    reserve: int = 0
    bookings: int = 0
    # Slots counted by span of time (floor(slot / span)): the latest span's and the one before.
    bucket: int = 0
    count: int = 0
    previous: int = 0


def _spacing(limit: int) -> tuple[float, float]:
    """(T, tau) of a GCRA that lets `limit` slots into any span, with BURST back to back."""
    burst = min(BURST, limit)
    return float(limit - burst + 1), float(burst - 1)


def book(row: BudgetRow, quota: Quota, now: float) -> tuple[float, BudgetRow]:
    """The slot of one booker's request, and the row after it."""
    present = row.worker_until > now
    limit = max(1, row.reserve) if present else quota.requests
    per_span, bursts = _spacing(limit)
    step = (quota.span + LATE_SECONDS) / per_span
    slot = max(now, row.tat - bursts * step)
    warm_from, early = row.warm_from, row.early
    if present:
        if row.last_slot + quota.span <= now:  # cold: the worker may use all but a headroom
            kept = row.last_slot + quota.span + HEADROOM_SECONDS > now
            warm_from, early = now + switch_seconds(quota, limit), min(BURST, limit) * kept
        if slot < warm_from:
            if early > 0:
                early -= 1
            else:
                slot = warm_from
    bucket = math.floor(slot / quota.span)
    if bucket <= row.bucket:  # (earlier only if the processes' clocks differ a little)
        bucket, count, previous = row.bucket, row.count + 1, row.previous
    else:
        count, previous = 1, row.count if bucket == row.bucket + 1 else 0
    return slot, replace(
        row,
        tat=max(row.tat, slot) + step,
        last_slot=max(row.last_slot, slot),
        warm_from=warm_from,
        early=early,
        bookings=row.bookings + 1,
        bucket=bucket,
        count=count,
        previous=previous,
    )


def others_in_window(row: BudgetRow, quota: Quota, now: float) -> int:
    """At most how many booked requests may leave after `now - span`: those of the spans
    counted that reach past the slots before (a request leaves up to LATE_SECONDS after
    its slot). If the bookers' slots run so far ahead that the span holding that moment is
    no longer counted, the window is taken as full."""
    first = math.floor((now - quota.span - LATE_SECONDS) / quota.span)
    if row.bucket < first:
        return 0
    if row.bucket == first:
        return row.count
    if row.bucket == first + 1:
        return row.count + row.previous
    return quota.requests


def needs_presence(row: BudgetRow, quota: Quota, reserve: int, now: float) -> bool:
    """Whether the worker must write its presence (and reserve) before its next send."""
    return row.reserve != reserve or row.worker_until < now + quota.span + POLL_SECONDS


def worker_look(
    row: BudgetRow, quota: Quota, reserve: int, now: float
) -> tuple[BudgetRow | None, ReserveReading]:
    """The worker's look at the row: the row to write (its presence renewed; None: nothing
    to write) and what its limiter takes from it, in seconds from `now`."""
    after = row
    if needs_presence(row, quota, reserve, now):
        after = replace(row, worker_until=now + quota.span + PRESENCE_SECONDS, reserve=reserve)
    # No worker was there: the bookers may have had the whole quota.
    arriving = row.worker_until <= now
    busy_for = after.last_slot + quota.span + GUARD_SECONDS - now
    return (after if after is not row else None), ReserveReading(
        busy_for=busy_for,
        headroom_for=busy_for + HEADROOM_SECONDS,
        sends_for=after.worker_until - quota.span - now,
        others=others_in_window(row, quota, now) if arriving else 0,
        others_at=max(0.0, after.last_slot + LATE_SECONDS - now),
    )
