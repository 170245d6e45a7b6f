"""Counting the requests made to IO for one account, per minute, and the 429s among them:
what «Stato del sistema» shows against the account's limit."""

from __future__ import annotations

import time
from collections.abc import Callable

MINUTE = 60


class RequestTally:
    """Counts since the last `take()`, by minute (seconds since the epoch // 60).

    Counted and taken on the one event loop of the worker that owns the client, so no
    lock: a request is one dict update, cheap next to the request itself."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: dict[int, list[int]] = {}  # minute -> [requests, 429s]

    def count(self, status: int) -> None:
        minute = int(self._clock() // MINUTE)
        counts = self._counts.get(minute)
        if counts is None:
            counts = self._counts[minute] = [0, 0]
        counts[0] += 1
        if status == 429:
            counts[1] += 1

    def take(self) -> dict[int, tuple[int, int]]:
        """The counts so far, {minute: (requests, 429s)}; the tally starts again at zero."""
        taken, self._counts = self._counts, {}
        return {minute: (c[0], c[1]) for minute, c in taken.items()}
