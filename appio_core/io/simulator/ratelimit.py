"""The gateway's rate limit: N requests per sliding window per account."""

from __future__ import annotations

import math
from collections import deque


class SlidingWindow:
    def __init__(self, requests: int, window: float) -> None:
        self.requests = requests
        self.window = window
        self._arrivals: deque[float] = deque()

    def hit(self, now: float) -> tuple[bool, int, int]:
        """Count one request: (allowed, remaining, retry-after in whole seconds).

        Refused requests are not counted, so a client that waits as told gets through.
        """
        arrivals = self._arrivals
        horizon = now - self.window
        while arrivals and arrivals[0] <= horizon:
            arrivals.popleft()
        if len(arrivals) >= self.requests:
            # The gateway speaks in whole seconds, rounded up.
            return False, 0, max(1, math.ceil(arrivals[0] + self.window - now))
        arrivals.append(now)
        return True, self.requests - len(arrivals), 0
