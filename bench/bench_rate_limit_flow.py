"""A flow sent by the dispatcher under IO's limit: share of the quota used, share of 429s.

    .venv/bin/python bench/bench_rate_limit_flow.py [--seconds 60] [--recipients 3000]

`appio simulator` runs in its own process with its default limit (150 requests per 5 s
per account) on, and the IO account in the database (SQLite, temporary directory) is
set to 150/5 as well, so the dispatcher's limiter paces the requests. A flow (profile
check on) larger than the time allows is sent by one in-process Dispatcher with its
default configuration, stopped after `--seconds`. The figures are read from the
simulator's own record (`GET /__simulator/record?requests=1`): requests IO served (not
429) per second between the first and the last request, against the 30/s quota; the
share of 429 answers; the busiest 5-second window IO saw. Figures in
bench/RESULTS-flows.md.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import platform
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from bench_dispatch import database, fiscal_codes, outcomes, recipient_csv, start_flow
from bench_simulator import served

from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig

REQUESTS, WINDOW = 150, 5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--recipients", type=int, default=3000)
    args = parser.parse_args()
    seconds = min(args.seconds, 900.0)
    quota = REQUESTS / WINDOW
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}; "
        f"limit {REQUESTS}/{WINDOW} s on the simulator and in the database; "
        f"{seconds:.0f} s of sending, {DispatcherConfig()}\n"
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(Path(tmp), requests=REQUESTS, window=WINDOW) as db,
    ):
        flow_id = start_flow(db, recipient_csv(fiscal_codes(args.recipients, seed=5)))
        with served("--processing-delay", "0") as server:
            dispatcher = Dispatcher(db.sessions, db.box, server.base_url, DispatcherConfig())
            t0 = time.monotonic()
            asyncio.run(dispatcher.run(lambda: time.monotonic() - t0 > seconds))
            elapsed = time.monotonic() - t0
            base = server.base_url.removesuffix("/api/v1")
            with urllib.request.urlopen(f"{base}/__simulator/record?requests=1") as answer:
                record = json.load(answer)
        state, counts = outcomes(db, flow_id)
    entries = record["requests"]
    statuses = Counter(str(e["status"]) for e in entries)
    assert sum(statuses.values()) == record["request_count"]
    served_at = sorted(e["at"] for e in entries if e["status"] != 429)
    span = served_at[-1] - served_at[0]
    rate = (len(served_at) - 1) / span
    throttled = statuses.get("429", 0)
    busiest = max(bisect.bisect_right(served_at, t + WINDOW) - i for i, t in enumerate(served_at))
    # Steady state: leave out the first window (the limiter starts with a full budget).
    steady = [t for t in served_at if t >= served_at[0] + WINDOW]
    steady_rate = (len(steady) - 1) / (steady[-1] - steady[0])
    print("| measure | value |")
    print("|---|---|")
    print(f"| dispatcher ran | {elapsed:.1f} s |")
    print(f"| requests IO received | {record['request_count']} ({dict(statuses)}) |")
    print(
        f"| served requests/s, first to last | {rate:.2f}/s = {rate / quota:.1%} of {quota:.0f}/s |"
    )
    print(f"| same, after the first {WINDOW} s | {steady_rate:.2f}/s = {steady_rate / quota:.1%} |")
    print(f"| 429 answers | {throttled} = {throttled / record['request_count']:.2%} |")
    print(f"| busiest {WINDOW} s window seen by IO | {busiest} requests (limit {REQUESTS}) |")
    print(f"| flow | «{state}», {counts} |")


if __name__ == "__main__":
    main()
