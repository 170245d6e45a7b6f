"""Does the client's limiter sustain IO's quota without being throttled?

    .venv/bin/python bench/bench_limiter.py [--seconds 60] [--workers 64]

Target (issue 4): at least 95% of the account's quota, with at most 1% of the requests
answered 429. The simulator runs as `appio simulator` in its own process with the real
limit (150 requests per sliding 5 s for the demo account); the client is IoClient on the
production transport (appio_core.io.http) with one RateLimiter(150, 5). Workers do what the
dispatcher does: a profile check, a send when the citizen allows it, and now and then a
status read at the lower priority.

Scenarios: answers with no added latency; answers with 50-150 ms of jittered latency
(answers overtake each other, as on the Internet); and two processes sharing the account
(two clients, each with its own limiter: a worker and the web app, say), where only the
`x-rate-limit-remaining` header tells each about the other.

The rate is measured on the simulator's clock, from its record: the non-429 answers
after the first window, over the time from the first to the last of them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
import urllib.request

from bench_simulator import KEY, citizens, served

from appio_core.io.client import PRIORITY_STATUS, IoClient
from appio_core.io.errors import IoError, IoOutcomeUnknown, ProfileNotFound
from appio_core.io.http import make_http_client
from appio_core.io.models import ApiKeys, NewMessage
from appio_core.io.rate_limit import RateLimiter

KEYS = ApiKeys(KEY, "demo0tributi0secondary0k01")
TEXT = "Gentile cittadino, le ricordiamo la scadenza della tassa sui rifiuti per l'anno 2026. " * 2
REQUESTS, WINDOW = 150, 5.0
JITTER = ("--latency", "0.05", "--latency-jitter", "0.1")


async def client_run(base_url: str, seconds: float, workers: int, offset: int) -> dict[str, int]:
    client = IoClient(base_url, make_http_client(base_url), RateLimiter(REQUESTS, WINDOW))
    codes = citizens(200_000)[offset:]
    counts = {"errors": 0, "unknown": 0}
    stop = time.monotonic() + seconds
    sent: list[tuple[str, str]] = []

    async def worker(n: int) -> None:
        i = n
        while time.monotonic() < stop:
            cf = codes[i]
            i += workers
            try:
                if (await client.get_profile(KEYS, cf)).sender_allowed:
                    message = NewMessage(cf, "Promemoria TARI 2026", TEXT)
                    sent.append((cf, await client.send_message(KEYS, message)))
                if i % 5 == 0 and sent:
                    await client.get_message_status(KEYS, *sent[-1])
            except ProfileNotFound:
                pass
            except IoOutcomeUnknown:
                counts["unknown"] += 1
            except IoError as exc:
                counts["errors"] += 1
                counts[type(exc).__name__] = counts.get(type(exc).__name__, 0) + 1

    await asyncio.gather(*(worker(n) for n in range(workers)))
    await client.aclose()
    assert PRIORITY_STATUS == 1
    return counts


async def scenario(base_url: str, seconds: float, workers: int, clients: int) -> dict[str, int]:
    results = await asyncio.gather(
        *(client_run(base_url, seconds, workers // clients, n * 100_000) for n in range(clients))
    )
    return {k: sum(r.get(k, 0) for r in results) for k in set().union(*results)}


def measure(admin: str) -> tuple[float, float, int]:
    """(share of the quota achieved, share of 429s, requests) from the simulator's record."""
    with urllib.request.urlopen(f"{admin}/record?requests=1") as response:
        record = json.load(response)
    entries = [(r["at"], r["status"]) for r in record["requests"]]
    answered = [at for at, status in entries if status != 429]
    # Leave out the first window, where two clients that start together may both run at
    # full speed until IO's headers tell them about each other.
    steady = [at for at in answered if at >= answered[0] + WINDOW]
    rate = (len(steady) - 1) / (steady[-1] - steady[0])
    throttled = sum(1 for _, s in entries if s == 429)
    return rate / (REQUESTS / WINDOW), throttled / len(entries), len(entries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=64)
    args = parser.parse_args()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; {args.seconds:.0f} s per scenario, {args.workers} "
          f"concurrent workers, simulator limit {REQUESTS} per {WINDOW:.0f} s\n")  # fmt: skip
    print("| scenario | requests | achieved rate (of 30/s) | 429 share | other errors |")
    print("|---|---:|---:|---:|---:|")
    scenarios = (
        ("one process, no added latency", (), 1),
        ("one process, 50-150 ms jittered latency", JITTER, 1),
        ("two processes sharing the account, 50-150 ms", JITTER, 2),
    )  # fmt: skip
    for label, options, clients in scenarios:
        with served("--processing-delay", "0", *options) as server:
            admin = server.base_url.removesuffix("/api/v1") + "/__simulator"
            counts = asyncio.run(scenario(server.base_url, args.seconds, args.workers, clients))
            achieved, throttled, total = measure(admin)
        print(f"| {label} | {total:,} | {achieved:.1%} | {throttled:.2%} | "
              f"{counts['errors'] + counts['unknown']} |")  # fmt: skip
        print({k: v for k, v in counts.items() if v})


if __name__ == "__main__":
    main()
