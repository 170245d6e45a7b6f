"""Helpers for the IO tests: an in-process simulator, a client on it, a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace

import httpx

from appio_core.demo.accounts import DEMO_SERVICES
from appio_core.io.client import SIMULATOR_API_URL, IoClient, RetryPolicy
from appio_core.io.models import ApiKeys
from appio_core.io.rate_limit import ReserveReading
from appio_core.io.simulator import SimulatorApp, SimulatorConfig, create_app, demo_config

TRIBUTI, MENSA, ANAGRAFE = DEMO_SERVICES  # ANAGRAFE has a limited key
TRIBUTI_KEYS = ApiKeys(TRIBUTI.primary_key, TRIBUTI.secondary_key)
MENSA_KEYS = ApiKeys(MENSA.primary_key, MENSA.secondary_key)
ANAGRAFE_KEYS = ApiKeys(ANAGRAFE.primary_key, ANAGRAFE.secondary_key)


class FakeClock:
    """Time that moves only when someone sleeps: waits are asserted, never waited."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        import asyncio

        self.sleeps.append(seconds)
        self.now += seconds
        # A few turns of the loop, so that other tasks act "while" this one sleeps.
        for _ in range(3):
            await asyncio.sleep(0)


# The bookers' reserve idle; used a little while ago (the headroom kept), or long ago.
IDLE = ReserveReading(busy_for=-1.0, headroom_for=100.0, sends_for=1.0, others=0, others_at=0.0)
QUIET = ReserveReading(busy_for=-1.0, headroom_for=-1.0, sends_for=1.0, others=0, others_at=0.0)


@dataclass
class FakeWatch:
    """The worker's view of a shared budget, as a script: `readings` are returned in turn
    (the last one again and again); None stands for a budget that could not be read."""

    reserve: int = 3
    headroom: int = 1
    poll_seconds: float = 0.25
    key: Hashable = "budget"
    readings: list[ReserveReading | None] = field(default_factory=lambda: [IDLE])
    looks: int = 0

    def look(self) -> ReserveReading | None:
        self.looks += 1
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]


def simulator(clock: FakeClock | None = None, **overrides: object) -> SimulatorApp:
    changes = {"processing_delay": 0.0, **overrides}
    config: SimulatorConfig = replace(demo_config(), **changes)  # type: ignore[arg-type]
    return create_app(config, clock=clock) if clock is not None else create_app(config)


def client_on(
    app: httpx.AsyncBaseTransport | SimulatorApp,
    sleep: Callable[[float], object] | None = None,
    **kwargs: object,
) -> IoClient:
    transport = app if isinstance(app, httpx.AsyncBaseTransport) else httpx.ASGITransport(app=app)
    http = httpx.AsyncClient(transport=transport)
    extra: dict[str, object] = {"retry": RetryPolicy(), **kwargs}
    if sleep is not None:
        extra["sleep"] = sleep
    return IoClient(SIMULATOR_API_URL, http, rng=lambda: 0.5, **extra)  # type: ignore[arg-type]
