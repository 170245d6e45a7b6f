"""The production HTTP client of IoClient: aiohttp's ClientSession, behind the two methods
of httpx.AsyncClient that IoClient calls (`request`, `aclose`).

Why not httpx over the httpx-aiohttp transport any more: measured with
bench/bench_dispatch.py, about 70% of the dispatcher's CPU was that stack (httpx building
each request, merging URLs and headers, its cookie jar; then the adapter; then aiohttp).
Calling aiohttp directly and handing IoClient a plain `Answer` (what it reads of an
httpx.Response: status, headers, text, json) keeps IoClient, its error handling and every
test seam (tests still give IoClient an httpx.AsyncClient over MockTransport or
ASGITransport) unchanged.

aiohttp's failures are raised as httpx's, with aiohttp's exception as the cause, as the
httpx-aiohttp transport did: IoClient's `_surely_not_sent` reads that cause to tell a
connection never made from an answer lost.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx

# The budget of appio_core.io.http.TIMEOUT, and 64 connections (requests in flight).
CONNECT_SECONDS = 5.0
READ_SECONDS = 30.0
MAX_CONNECTIONS = 64
KEEPALIVE_SECONDS = 30.0
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(slots=True)
class Answer:
    """IO's answer, read whole: what IoClient needs of it (client.HttpResponse)."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy)
    content: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class AiohttpClient:
    def __init__(
        self, connect_seconds: float = CONNECT_SECONDS, read_seconds: float = READ_SECONDS
    ) -> None:
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_seconds, sock_read=read_seconds
        )
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # Made on first use, inside the event loop that will use it.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS
                ),
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),  # IO sets no cookie worth keeping
                auto_decompress=True,
            )
        return self._session

    async def request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        data = None
        if json is not None:
            data = jsonlib.dumps(json, ensure_ascii=False).encode()
            headers = {**JSON_HEADERS, **(headers or {})}
        try:
            async with self._open().request(method, str(url), data=data, headers=headers) as answer:
                content = await answer.read()
                return Answer(answer.status, answer.headers, content)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or type(exc).__name__) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
