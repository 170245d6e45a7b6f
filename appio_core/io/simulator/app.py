"""The IO simulator as one ASGI app: a request goes through the gateway (the route, the
subscription key: 401, the account's rate limit: 429), then through the faults the test
asked for, then to IO's operation; everything is written down in the record.

The parts: asgi.py (plumbing and routes), gateway.py (keys, rate limit, faults),
operations.py (IO's answers), admin.py (/__simulator/...), record.py (what happened),
holds.py (message requests held until a test releases them: a send in flight on demand).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from appio_core.io.simulator import admin
from appio_core.io.simulator.asgi import (
    ADMIN_PREFIX,
    Answer,
    Receive,
    Scope,
    Send,
    drop,
    lifespan,
    problem,
    read_body,
    respond,
    route,
)
from appio_core.io.simulator.config import Faults, SimService, SimulatorConfig
from appio_core.io.simulator.gateway import Gateway, draw_fault
from appio_core.io.simulator.holds import Holds
from appio_core.io.simulator.operations import Operations
from appio_core.io.simulator.population import Population
from appio_core.io.simulator.record import Record, RequestEntry

KEY_HEADER = b"ocp-apim-subscription-key"
SEND_OPERATION = "submitMessageforUserWithFiscalCodeInBody"
# Faults after which the answer is lost, whatever IO did.
LOST_ANSWER = ("500", "timeout", "drop")


class SimulatorApp:
    def __init__(
        self,
        config: SimulatorConfig,
        clock: Callable[[], float] = time.monotonic,
        journal: Path | None = None,
    ) -> None:
        self.config = config
        self.faults = config.faults
        self.record = Record(journal, clock)
        self.population = Population(
            config.seed, config.no_io_share, config.blocked_share, config.email_share
        )
        self._clock = clock
        # One generator for latency, faults and what a faulted send created: a seed
        # replays the same run.
        self._rng = random.Random(config.seed)
        self.gateway = Gateway(config, clock)
        self.operations = Operations(config, self.record, self.population, clock)
        self.holds = Holds(clock)

    @property
    def rate_limit(self) -> bool:
        return self.gateway.rate_limit

    @rate_limit.setter
    def rate_limit(self, enabled: bool) -> None:
        self.gateway.rate_limit = enabled

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults

    def service(self, service_id: str) -> SimService:
        return next(s for s in self.config.services if s.service_id == service_id)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX):
            await respond(send, admin.control(self, scope["method"], path, scope, body))
            return
        await self._api(scope, body, send)

    async def _api(self, scope: Scope, body: bytes, send: Send) -> None:
        """The gateway's part: route, key, rate limit."""
        method: str = scope["method"]
        path: str = scope["path"]
        found = route(method, path)
        if found is None:
            await respond(send, Answer(404, {"statusCode": 404, "message": "Resource not found"}))
            return
        operation, params = found
        key = next((v.decode("latin-1") for n, v in scope["headers"] if n == KEY_HEADER), None)
        caller = self.gateway.service_for(key)
        if caller is None:
            self._log(method, path, operation, None, None, 401)
            await respond(send, self.gateway.refused_key())
            return
        service, key_kind = caller
        throttled, remaining = self.gateway.throttle(service)
        if throttled is not None:
            self._log(method, path, operation, service.service_id, key_kind, 429)
            await respond(send, throttled)
            return
        if operation == SEND_OPERATION and self.holds.armed:
            # Received, not processed yet: the test acts while the send is in flight.
            await self.holds.wait_if_held(body)
        entry = RequestEntry(
            self._clock(), method, path, operation, service.service_id, key_kind, 0
        )
        await self._serve(entry, params, service, body, remaining, send)

    async def _serve(
        self,
        entry: RequestEntry,
        params: dict[str, str],
        service: SimService,
        body: bytes,
        remaining: int | None,
        send: Send,
    ) -> None:
        """IO's part, with the faults asked for: the operation, the record, the answer."""
        fault = draw_fault(self.faults, self._rng)
        if self.faults.latency > 0 or self.faults.latency_jitter > 0:
            # Jitter makes answers overtake each other, as they do on the Internet.
            jitter = self.faults.latency_jitter * self._rng.random()
            await asyncio.sleep(self.faults.latency + jitter)
        if fault == "503":
            answer = Answer(503, {"statusCode": 503, "message": "Service Unavailable"})
        elif fault is not None and (
            entry.operation != SEND_OPERATION or self._rng.random() >= self.faults.created_share
        ):
            # Failed before doing anything.
            answer = problem(500, "Internal server error", "Simulated failure")
        else:
            answer = self.operations.handle(entry.operation, params, service, body)
        if remaining is not None:
            answer.headers.append((b"x-rate-limit-remaining", str(remaining).encode()))
        entry.at = self._clock()
        entry.status = 500 if fault in LOST_ANSWER else answer.status
        entry.fault, entry.fiscal_code, entry.message_id = (
            fault,
            answer.fiscal_code,
            answer.message_id,
        )
        self.record.requests.append(entry)
        if fault in LOST_ANSWER and answer.status != 500:
            # The work is done (a send may have created its message); the answer is lost.
            answer = problem(500, "Internal server error", "Simulated failure")
        if fault == "timeout":
            if not self.config.served:
                # In-process there is no socket to time out on: raise what httpx would.
                raise httpx.ReadTimeout("Simulated timeout")
            await asyncio.sleep(self.faults.timeout_seconds)
        elif fault == "drop":
            if not self.config.served:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            await drop(send)
            return
        await respond(send, answer)

    def _log(
        self,
        method: str,
        path: str,
        operation: str,
        service_id: str | None,
        key: str | None,
        status: int,
    ) -> None:
        self.record.requests.append(
            RequestEntry(self._clock(), method, path, operation, service_id, key, status)
        )


def create_app(
    config: SimulatorConfig,
    *,
    clock: Callable[[], float] = time.monotonic,
    journal: Path | None = None,
) -> SimulatorApp:
    """`journal`: a file that keeps the messages created across restarts (the demo)."""
    return SimulatorApp(config, clock, journal)
