"""The HTTP client the IO client runs on.

Production: aiohttp's ClientSession directly (appio_core.io.aiohttp_http), since it halved
the dispatcher's CPU per recipient (bench/RESULTS-flows.md). The in-process simulator:
httpx over ASGITransport. The history of the choice, for the record:

Transport choice, measured with bench/bench_transports.py (figures in bench/RESULTS-io.md):
httpx's own transport spends several times more CPU per request than the
httpx-aiohttp transport, and its connection pool gets slower as concurrency grows;
bare aiohttp is cheaper still but would lose httpx's API, and with it the test seams
(MockTransport, ASGITransport) the whole project relies on. So: httpx's API over
aiohttp's connection handling. IO allows about 30 requests per second per account, so
the CPU saved matters when several accounts (or unlimited ones) send at once, next to
the Streamlit process on the same machine.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import httpx

from appio_core.config import SIMULATOR_BASE_URL, data_dir
from appio_core.io.aiohttp_http import AiohttpClient
from appio_core.io.client import SIMULATOR_ORIGIN, HttpClient

if TYPE_CHECKING:
    from appio_core.io.simulator.app import SimulatorApp

# IO answers in well under a second; a read that takes longer than this is treated as
# lost (for a send: outcome unknown). Connecting must be quick or not at all.
TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=60.0)

SIMULATOR_JOURNAL = "simulatore-messaggi.jsonl"
_simulator: SimulatorApp | None = None
_simulator_lock = threading.Lock()


def in_process_simulator() -> SimulatorApp:
    """The process-wide simulator built from the demo services. The messages it created are
    kept in the data directory, so that status reads of demo messages (and «Aggiorna
    stato») work in other processes and after a restart."""
    global _simulator
    with _simulator_lock:
        if _simulator is None:
            from appio_core.io.simulator import create_app, demo_config

            journal = data_dir() / SIMULATOR_JOURNAL
            journal.parent.mkdir(parents=True, exist_ok=True)
            _simulator = create_app(demo_config(), journal=journal)
        return _simulator


def make_http_client(base_url: str) -> HttpClient:
    if base_url.rstrip("/") == SIMULATOR_BASE_URL:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=in_process_simulator()),
            base_url=SIMULATOR_ORIGIN,
            timeout=TIMEOUT,
        )
    return AiohttpClient()
