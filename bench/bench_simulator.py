"""Throughput of the IO simulator (rate limit off): it must never be a benchmark's bottleneck.

    .venv/bin/python bench/bench_simulator.py [--seconds 10] [--concurrency 64] [--loaders 1]

Starts `appio simulator --no-rate-limit` in its own process (uvicorn + httptools, one
worker), then loads it from `--loaders` processes with a minimal HTTP/1.1 client on uvloop (so
that the loader is not what is measured) with a mix of IO's three operations:
profile check, send, status read (1:1:1). Also measures, for comparison, the same routes
behind Starlette's router, and the in-process path (httpx.ASGITransport) that tests use.
Prints a Markdown table; the figures go to bench/RESULTS-io.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
KEY = "demo0tributi0primary0key01"
TEXT = "Gentile cittadino, le ricordiamo la scadenza della tassa sui rifiuti per l'anno 2026. " * 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, base_url: str, pid: int) -> None:
        self.base_url = base_url
        self.pid = pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def served(*options: str, app: str = "simulator") -> Iterator[Server]:
    """`appio simulator` on a free port, in its own process."""
    port = free_port()
    if app == "simulator":
        command = [PYTHON, "-c", "from appio_core.cli import main; main()", "simulator"]
        command += ["--port", str(port), *options]
    else:
        command = [PYTHON, __file__, "--serve-starlette", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/__simulator/health")
                break
            except OSError:
                time.sleep(0.05)
        yield Server(f"{base}/api/v1", server.pid)
    finally:
        server.terminate()
        server.wait()


def citizens(count: int) -> list[str]:
    from appio_core.io.simulator.population import synthetic_fiscal_code

    return [synthetic_fiscal_code(i) for i in range(count)]


async def load(base_url: str, seconds: float, concurrency: int, offset: int) -> tuple[int, int]:
    """Requests done and errors, in a closed loop of `concurrency` keep-alive connections.

    A minimal HTTP/1.1 client on asyncio streams: even aiohttp spends about 0.3 ms of CPU
    per request here (bench_transports.py), which on this 2-CPU machine would cap the
    load near 3,000 requests per second and measure the loader, not the server."""
    host_port = base_url.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    codes = citizens(2000)
    done = errors = 0
    stop = time.perf_counter() + seconds

    def request(method: str, path: str, body: bytes = b"") -> bytes:
        return (
            f"{method} {path} HTTP/1.1\r\nHost: {host_port}\r\n"
            f"Ocp-Apim-Subscription-Key: {KEY}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def worker(n: int) -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(host, int(port))

        async def exchange(raw: bytes) -> tuple[int, bytes]:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            return int(head[9:12]), await reader.readexactly(length)

        i = offset + n
        while time.perf_counter() < stop:
            cf = codes[i % len(codes)]
            i += concurrency
            status, _ = await exchange(
                request("POST", "/api/v1/profiles", json.dumps({"fiscal_code": cf}).encode())
            )
            message = {"fiscal_code": cf, "content": {"subject": "Promemoria", "markdown": TEXT}}
            sent, answer = await exchange(
                request("POST", "/api/v1/messages", json.dumps(message).encode())
            )
            done += 2
            errors += (status >= 500) + (sent >= 500)
            if sent == 201:
                message_id = json.loads(answer)["id"]
                status, _ = await exchange(request("GET", f"/api/v1/messages/{cf}/{message_id}"))
                done += 1
                errors += status != 200
        writer.close()

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return done, errors


def _loader(args: tuple[str, float, int, int]) -> tuple[int, int]:
    import uvloop

    return uvloop.run(load(*args))


def throughput(
    server: Server, seconds: float, concurrency: int, loaders: int
) -> tuple[float, float, int]:
    """(requests per second seen, server CPU ms per request, 5xx answers)."""
    with multiprocessing.Pool(loaders) as pool:
        cpu = server.cpu_seconds()
        started = time.perf_counter()
        results = pool.map(
            _loader, [(server.base_url, seconds, concurrency, n * 100_000) for n in range(loaders)]
        )
        elapsed = time.perf_counter() - started
        cpu = server.cpu_seconds() - cpu
    done = sum(r[0] for r in results)
    return done / elapsed, cpu / done * 1000, sum(r[1] for r in results)


def serve_starlette(port: int) -> None:
    """The same simulator behind Starlette's router: what a framework would cost."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from appio_core.io.simulator import create_app, demo_config

    sim = create_app(demo_config(rate_limit=False))

    async def endpoint(request: Request) -> Response:
        found = sim.gateway.service_for(request.headers.get("ocp-apim-subscription-key"))
        if found is None:
            return JSONResponse({"statusCode": 401, "message": "denied"}, 401)
        operation = request.scope["route_name"]
        params = dict(request.path_params)
        answer = sim.operations.handle(operation, params, found[0], await request.body())
        return JSONResponse(answer.body, answer.status)

    def route(path: str, name: str, method: str) -> Route:
        async def handler(request: Request) -> Response:
            request.scope["route_name"] = name
            return await endpoint(request)

        return Route(path, handler, methods=[method])

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[
            route("/api/v1/profiles", "getProfileByPOST", "POST"),
            route("/api/v1/messages", "submitMessageforUserWithFiscalCodeInBody", "POST"),
            route("/api/v1/messages/{fiscal_code}/{id}", "getMessage", "GET"),
            Route("/__simulator/health", health),
        ]
    )
    uvicorn.run(
        app, port=port, http="httptools", loop="uvloop", log_level="warning", access_log=False
    )


async def in_process(seconds: float, concurrency: int) -> float:
    """Requests per second through httpx.ASGITransport, as the tests and the demo use it."""
    import httpx

    from appio_core.io.simulator import create_app, demo_config

    app = create_app(demo_config(rate_limit=False))
    codes = citizens(2000)
    done = 0
    stop = time.perf_counter() + seconds
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim/api/v1",
        headers={"Ocp-Apim-Subscription-Key": KEY},
    ) as http:  # fmt: skip

        async def worker(n: int) -> None:
            nonlocal done
            i = n
            while time.perf_counter() < stop:
                await http.post("/profiles", json={"fiscal_code": codes[i % len(codes)]})
                i += concurrency
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--loaders", type=int, default=1)
    parser.add_argument("--serve-starlette", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_starlette:
        serve_starlette(args.serve_starlette)
        return
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"{args.seconds:.0f} s per run, {args.loaders} loader process(es) x "
          f"{args.concurrency} connections, mix profile:send:status = 1:1:1\n")  # fmt: skip
    print("| server | requests/s seen | server CPU per request | capacity of one core | 5xx |")
    print("|---|---:|---:|---:|---:|")
    servers = (("plain ASGI (appio simulator)", "simulator"), ("Starlette router", "starlette"))
    for label, app in servers:
        with served("--no-rate-limit", app=app) as server:
            rate, cpu_ms, errors = throughput(server, args.seconds, args.concurrency, args.loaders)
        print(
            f"| {label}, uvicorn + httptools + uvloop, 1 worker | {rate:,.0f} | "
            f"{cpu_ms * 1000:.0f} µs | {1000 / cpu_ms:,.0f} req/s | {errors} |"
        )
    rate = asyncio.run(in_process(args.seconds, 8))
    print(f"| in-process, httpx.ASGITransport, 8 concurrent (profile only) | {rate:,.0f} | | | 0 |")


if __name__ == "__main__":
    main()
