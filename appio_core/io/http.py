"""The HTTP the IO client runs on: one small interface, two implementations.

`IoHttp.request` makes one request and returns an `Answer` (status, headers, body) or
raises `TransportFailure`, which says whether the request can have reached IO.

- `AiohttpIo`, for IO itself and for `appio simulator` processes: aiohttp's own session.
  Measured with bench/bench_dispatch.py (bench/RESULTS-flows.md): with httpx's API over
  aiohttp (the httpx-aiohttp transport used before) the dispatcher spent 1.69 ms of CPU per
  recipient, two thirds of it in httpx (request and response objects, cookie extraction,
  the transport's adaptation); on aiohttp's own session, 0.40 ms.
- `HttpxIo`, for the in-process simulator (httpx.ASGITransport) and the tests
  (httpx.MockTransport, recording transports): httpx's transports stay the test seams.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
import httpx

from appio_core.config import (
    DEFAULT_IO_TIMEOUT_SECONDS,
    SIMULATOR_BASE_URL,
    data_dir,
    io_timeout_seconds,
)

if TYPE_CHECKING:
    from appio_core.io.simulator.app import SimulatorApp

# The in-process simulator answers on this made-up origin.
SIMULATOR_ORIGIN = "http://io-simulator"

# IO answers in well under a second; a read that takes longer than this is treated as
# lost (for a send: outcome unknown); APPIO_IO_TIMEOUT_SECONDS changes it. Connecting must
# be quick or not at all; waiting for a free connection of the pool may take longer when
# many requests are in flight. The workers' lease outlasts all three (sending/config.py).
CONNECT_SECONDS = 5.0
READ_SECONDS = DEFAULT_IO_TIMEOUT_SECONDS
POOL_SECONDS = 60.0
MAX_CONNECTIONS = 64
KEEPALIVE_SECONDS = 30.0

SIMULATOR_JOURNAL = "simulatore-messaggi.jsonl"
_simulator: SimulatorApp | None = None
_simulator_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Answer:
    """IO's answer to one request. `headers` is case-insensitive."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class TransportFailure(Exception):
    """No answer. `surely_not_sent`: the connection was never made, so IO cannot have
    received the request (a send may then be repeated safely)."""

    def __init__(self, detail: str, *, surely_not_sent: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.surely_not_sent = surely_not_sent


class IoHttp(Protocol):
    async def request(
        self, method: str, url: str, body: dict[str, Any] | None, headers: Mapping[str, str]
    ) -> Answer: ...

    async def aclose(self) -> None: ...


class AiohttpIo:
    """aiohttp's session, made on first use (it belongs to the running event loop)."""

    def __init__(
        self, connect_seconds: float = CONNECT_SECONDS, read_seconds: float = READ_SECONDS
    ) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._connect = connect_seconds
        self._read = read_seconds

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=POOL_SECONDS + self._connect,
                    sock_connect=self._connect,
                    sock_read=self._read,
                ),
                cookie_jar=aiohttp.DummyCookieJar(),  # IO sets none; storing them costs
            )
        return self._session

    async def request(
        self, method: str, url: str, body: dict[str, Any] | None, headers: Mapping[str, str]
    ) -> Answer:
        session = self._open()
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers = {**headers, "Content-Type": "application/json"}
        try:
            async with session.request(method, url, data=data, headers=headers) as response:
                content = await response.read()
                return Answer(response.status, response.headers, content)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Never connected (refused, unresolvable, no free connection in time).
            raise TransportFailure(_describe(exc), surely_not_sent=True) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            # Disconnected, reset or silent after the request went out: it may have arrived.
            raise TransportFailure(_describe(exc), surely_not_sent=False) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class HttpxIo:
    """An httpx client (any transport) behind the same interface."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(
        self, method: str, url: str, body: dict[str, Any] | None, headers: Mapping[str, str]
    ) -> Answer:
        try:
            response = await self.client.request(method, url, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise TransportFailure(_describe(exc), surely_not_sent=_never_connected(exc)) from exc
        return Answer(response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        await self.client.aclose()


def _never_connected(exc: httpx.TransportError) -> bool:
    """httpx transports that wrap aiohttp map every aiohttp connection error, including
    "server disconnected" after the request went out, to httpx.ConnectTimeout; only
    aiohttp's own cause tells a failed connect from a lost answer."""
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("aiohttp"):
        return isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


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


def as_io_http(http: IoHttp | httpx.AsyncClient) -> IoHttp:
    return HttpxIo(http) if isinstance(http, httpx.AsyncClient) else http


def make_http_client(base_url: str) -> IoHttp:
    read_seconds = io_timeout_seconds()  # APPIO_IO_TIMEOUT_SECONDS
    if base_url.rstrip("/") == SIMULATOR_BASE_URL:
        return HttpxIo(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=in_process_simulator()),
                base_url=SIMULATOR_ORIGIN,
                timeout=httpx.Timeout(read_seconds, connect=CONNECT_SECONDS),
            )
        )
    return AiohttpIo(read_seconds=read_seconds)
