"""What no caller may exceed: the size of a request's body, and requests per key.

The body limit is checked before the body is read (Content-Length) and while it streams
(a chunked body), so that no request can fill the server's memory. The rate limit is a
token bucket per integration, in this process: each `appio api` process keeps its own.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appio_core.api.problems import problem_response

MB = 1024 * 1024
# A JSON request: a message is at most a few tens of KB.
JSON_BODY_LIMIT = 1 * MB
# A flow's recipient file, as the web page takes it (.streamlit/config.toml maxUploadSize).
UPLOAD_BODY_LIMIT = 200 * MB


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for a body over its limit (multipart: the upload's)."""

    def __init__(self, app: ASGIApp, json_limit: int = JSON_BODY_LIMIT) -> None:
        self.app = app
        self.json_limit = json_limit

    def _limit(self, scope: Scope) -> int:
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        return UPLOAD_BODY_LIMIT if content_type.startswith("multipart/") else self.json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(limit, scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(limit, scope, receive, send)

    @staticmethod
    async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413, f"Il corpo della richiesta supera il limite di {limit // MB} MB."
        )
        await response(scope, receive, send)


class NoNul:
    """ASGI middleware: 422 for a NUL character in the path or the query string (PostgreSQL's
    text cannot hold one; the request bodies refuse it in RequestModel)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = unquote_to_bytes(scope.get("query_string", b""))
            if b"\x00" in query or "\x00" in scope.get("path", ""):
                response = problem_response(
                    422, "L'indirizzo contiene il carattere NUL (%00), non ammesso: toglilo."
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """A token bucket per key: `per_second` on average, bursts up to `burst`."""

    per_second: float
    burst: int
    _buckets: dict[int, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: int, now: float | None = None) -> int:
        """0 when the request may go on; else the seconds to wait (Retry-After)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.per_second)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0
            return max(1, math.ceil((1 - bucket.tokens) / self.per_second))
