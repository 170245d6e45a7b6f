"""IO's gateway (Azure API Management) as the simulator plays it: the subscription key
(401), the account's rate limit (429), and the failures of a network and a busy service
that the tests ask for."""

from __future__ import annotations

import random
from collections.abc import Callable

from appio_core.io.simulator.asgi import Answer
from appio_core.io.simulator.config import Faults, SimService, SimulatorConfig
from appio_core.io.simulator.ratelimit import SlidingWindow

GATEWAY_401 = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)


class Gateway:
    def __init__(self, config: SimulatorConfig, clock: Callable[[], float]) -> None:
        self.rate_limit = config.rate_limit
        self._clock = clock
        self._keys: dict[str, tuple[SimService, str]] = {}
        # Each service's keys now, by kind: IO's management API regenerates them.
        self._current: dict[str, dict[str, str]] = {}
        for service in config.services:
            self._keys[service.primary_key] = (service, "primary")
            self._keys[service.secondary_key] = (service, "secondary")
            self._current[service.service_id] = {
                "primary": service.primary_key,
                "secondary": service.secondary_key,
            }
        self._windows: dict[str, SlidingWindow] = {}
        for service in config.services:
            account = config.account(service.account)
            if account.requests > 0 and account.name not in self._windows:
                self._windows[account.name] = SlidingWindow(account.requests, account.window)

    def service_for(self, key: str | None) -> tuple[SimService, str] | None:
        """The service of a subscription key, and which of its keys it is."""
        return self._keys.get(key) if key else None

    def keys_of(self, service_id: str) -> dict[str, str]:
        """The service's keys now: {"primary": ..., "secondary": ...}."""
        return dict(self._current[service_id])

    def replace_key(self, service_id: str, kind: str, key: str) -> None:
        """A regenerated key: the old one is refused from now on (401), the new one works."""
        current = self._current[service_id]
        service, _ = self._keys.pop(current[kind])
        self._keys[key] = (service, kind)
        current[kind] = key

    @staticmethod
    def refused_key() -> Answer:
        return Answer(401, {"statusCode": 401, "message": GATEWAY_401})

    def throttle(self, service: SimService) -> tuple[Answer | None, int | None]:
        """The 429 when the account's window is full (else None), and the requests left."""
        window = self._windows.get(service.account) if self.rate_limit else None
        if window is None:
            return None, None
        allowed, remaining, retry_after = window.hit(self._clock())
        if allowed:
            return None, remaining
        answer = Answer(
            429,
            {
                "statusCode": 429,
                "message": f"Rate limit is exceeded. Try again in {retry_after} seconds.",
            },
            headers=[(b"x-rate-limit-retry-after", str(retry_after).encode())],
        )
        return answer, remaining


def draw_fault(faults: Faults, rng: random.Random) -> str | None:
    """The fault of this request, if any: "503", "500", "timeout" or "drop"."""
    f = faults
    if not (f.error_500_rate or f.error_503_rate or f.timeout_rate or f.drop_rate):
        return None
    r = rng.random()
    for name, rate in (
        ("503", f.error_503_rate),
        ("500", f.error_500_rate),
        ("timeout", f.timeout_rate),
        ("drop", f.drop_rate),
    ):
        if r < rate:
            return name
        r -= rate
    return None
