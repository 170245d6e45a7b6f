"""A faithful App IO simulator: IO has no test host, so the demo, the tests and the
benchmarks run against this. One ASGI app, run in-process (httpx.ASGITransport) or
served by `appio simulator`.

Its own routes under /__simulator (admin.py) give tests its record, faults on demand, the
rate limit on or off, citizens of each kind, and sends held on demand (holds.py:
`POST /__simulator/hold {"fiscal_codes": [...], "count": N}`, `GET /__simulator/held`,
`POST /__simulator/release`): IO has received the request and answers only once released,
so that a test acts (kills or freezes a worker, takes its account over) while a send is
certainly in flight.

Part of the io layer: imports only io's own modules and the layers below it.
"""

from appio_core.io.simulator.app import SimulatorApp, create_app
from appio_core.io.simulator.config import (
    Faults,
    SimAccount,
    SimService,
    SimulatorConfig,
    demo_config,
    load_config,
)
from appio_core.io.simulator.population import Kind, Population, synthetic_fiscal_code
from appio_core.io.simulator.record import Record, RequestEntry, StoredMessage

__all__ = [
    "Faults",
    "Kind",
    "Population",
    "Record",
    "RequestEntry",
    "SimAccount",
    "SimService",
    "SimulatorApp",
    "SimulatorConfig",
    "StoredMessage",
    "create_app",
    "demo_config",
    "load_config",
    "synthetic_fiscal_code",
]
