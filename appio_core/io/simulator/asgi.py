"""Plain ASGI plumbing of the simulator: the answer, reading a body, responding, cutting a
connection, the lifespan, and IO's routes.

Plain ASGI rather than Starlette: with the rate limit off the simulator must serve
thousands of requests per second, and IO's three routes do not need a framework's
routing (bench/bench_simulator.py measures it).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

API_PREFIX = "/api/v1"
ADMIN_PREFIX = "/__simulator"
JSON = b"application/json"
PROBLEM_JSON = b"application/problem+json"


@dataclass
class Answer:
    status: int
    body: Any = None
    content_type: bytes = JSON
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    fiscal_code: str | None = None
    message_id: str | None = None


def problem(status: int, title: str, detail: str) -> Answer:
    return Answer(status, {"title": title, "status": status, "detail": detail}, PROBLEM_JSON)


def route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """IO's operationId and the path's parameters; None for a path IO does not serve."""
    if not path.startswith(API_PREFIX):
        return None
    parts = [p for p in path[len(API_PREFIX) :].split("/") if p]
    if method == "POST" and parts == ["profiles"]:
        return "getProfileByPOST", {}
    if method == "POST" and parts == ["messages"]:
        return "submitMessageforUserWithFiscalCodeInBody", {}
    if method == "GET" and len(parts) == 3 and parts[0] == "messages":
        return "getMessage", {"fiscal_code": parts[1], "id": parts[2]}
    # The deprecated forms still work on IO; the record names them so that tests can
    # assert the client never uses them.
    if method == "GET" and len(parts) == 2 and parts[0] == "profiles":
        return "getProfile", {"fiscal_code": parts[1]}
    if method == "POST" and len(parts) == 2 and parts[0] == "messages":
        return "submitMessageforUser", {"fiscal_code": parts[1]}
    return None


async def read_body(receive: Receive) -> bytes:
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    chunks = [body]
    while message.get("more_body"):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


async def respond(send: Send, answer: Answer) -> None:
    payload = (
        json.dumps(answer.body, separators=(",", ":")).encode() if answer.body is not None else b""
    )
    headers = [
        (b"content-type", answer.content_type),
        (b"content-length", str(len(payload)).encode()),
        *answer.headers,
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def drop(send: Send) -> None:
    """Cut the connection mid-answer.

    ASGI has no way to close a connection; returning with the body unfinished makes
    the server abort it (uvicorn logs "returned without completing response")."""
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", JSON), (b"content-length", b"1000")],
        }
    )
    await send({"type": "http.response.body", "body": b"{", "more_body": True})


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
