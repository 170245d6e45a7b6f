"""Fixtures for the IO client and simulator tests (helpers live in io_helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from io_helpers import FakeClock, client_on, simulator

from appio_core.io.client import IoClient
from appio_core.io.simulator import SimulatorApp


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> SimulatorApp:
    return simulator(clock, rate_limit=False)


@pytest.fixture
async def client(sim: SimulatorApp, clock: FakeClock) -> AsyncIterator[IoClient]:
    io = client_on(sim, sleep=clock.sleep)
    yield io
    await io.aclose()
