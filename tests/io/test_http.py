"""AiohttpIo, the transport to IO itself: answers, and which failures can have reached IO."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from appio_core.io.http import AiohttpIo, TransportFailure

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], object]


@asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[str]:
    srv = await asyncio.start_server(handler, "127.0.0.1", 0)  # type: ignore[arg-type]
    port = srv.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.close()
        await srv.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    return head, await reader.readexactly(length)


async def test_an_answer_carries_status_headers_and_body_and_the_request_its_json() -> None:
    seen: list[tuple[bytes, bytes]] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _read_request(reader))
        body = b'{"id": "01J"}'
        writer.write(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
            b"X-Rate-Limit-Remaining: 7\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    http = AiohttpIo()
    async with server(answer) as url:
        got = await http.request("POST", url + "/messages", {"città": "Forlì"}, {"K": "v"})
    await http.aclose()
    assert (got.status_code, got.json(), got.headers["x-rate-limit-remaining"]) == (
        201,
        {"id": "01J"},
        "7",
    )
    head, body = seen[0]
    assert json.loads(body) == {"città": "Forlì"}
    assert b"content-type: application/json" in head.lower() and b"\r\nK: v\r\n" in head


async def test_a_refused_connection_surely_did_not_reach_io() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = AiohttpIo()
    with pytest.raises(TransportFailure) as failure:
        await http.request("POST", f"http://127.0.0.1:{port}/messages", {}, {})
    await http.aclose()
    assert failure.value.surely_not_sent is True


async def test_a_connection_dropped_after_the_request_may_have_reached_io() -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.close()

    http = AiohttpIo()
    async with server(drop) as url:
        with pytest.raises(TransportFailure) as failure:
            await http.request("POST", url + "/messages", {"a": 1}, {})
    await http.aclose()
    assert failure.value.surely_not_sent is False
