"""CPU spent by the client per request, for the HTTP transports the IO client could use.

    .venv/bin/python bench/bench_transports.py [--requests 3000]

The server (`appio simulator --no-rate-limit`) runs in its own process, so only the
client's CPU is counted (time.process_time of this process). Each transport sends
profile checks from 8 and from 64 concurrent tasks. The choice made in
appio_core/io/http.py rests on these figures (bench/RESULTS-io.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
import httpx
from bench_simulator import KEY, citizens, served
from httpx_aiohttp import AiohttpTransport

Post = Callable[[str, dict[str, str]], Awaitable[int]]
HEADERS = {"Ocp-Apim-Subscription-Key": KEY}


async def run(post: Post, url: str, requests: int, concurrency: int) -> float:
    """CPU milliseconds per request."""
    codes = citizens(1000)
    queue = iter(range(requests))

    async def worker() -> None:
        for i in queue:
            status = await post(url, {"fiscal_code": codes[i % len(codes)]})
            assert status in (200, 404), status

    await asyncio.gather(*(worker() for _ in range(concurrency)))  # warm the pool up
    queue = iter(range(requests))
    cpu = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - cpu) / requests * 1000


async def with_httpx(url: str, requests: int, concurrency: int, transport: str) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    chosen = AiohttpTransport(limits=limits) if transport == "aiohttp" else None
    kwargs = {"transport": chosen} if chosen else {"limits": limits}
    async with httpx.AsyncClient(headers=HEADERS, **kwargs) as http:  # type: ignore[arg-type]

        async def post(url: str, body: dict[str, str]) -> int:
            return (await http.post(url, json=body)).status_code

        return await run(post, url, requests, concurrency)


async def with_aiohttp(url: str, requests: int, concurrency: int) -> float:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=HEADERS) as http:

        async def post(url: str, body: dict[str, str]) -> int:
            async with http.post(url, data=json.dumps(body), headers={
                "Content-Type": "application/json"
            }) as response:  # fmt: skip
                await response.read()
                return response.status

        return await run(post, url, requests, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, httpx {httpx.__version__}, aiohttp "
          f"{aiohttp.__version__}; {args.requests} profile checks per cell\n")  # fmt: skip
    print("| transport | CPU per request, 8 concurrent | CPU per request, 64 concurrent |")
    print("|---|---:|---:|")
    with served("--no-rate-limit") as server:
        url = server.base_url + "/profiles"
        variants: list[tuple[str, Callable[[int], Coroutine[Any, Any, float]]]] = [
            ("httpx, default transport", lambda c: with_httpx(url, args.requests, c, "httpcore")),
            ("httpx over httpx-aiohttp", lambda c: with_httpx(url, args.requests, c, "aiohttp")),
            ("bare aiohttp", lambda c: with_aiohttp(url, args.requests, c)),
        ]
        for label, measure in variants:
            cells: list[float] = [asyncio.run(measure(c)) for c in (8, 64)]
            print(f"| {label} | {cells[0]:.2f} ms | {cells[1]:.2f} ms |")


if __name__ == "__main__":
    main()
