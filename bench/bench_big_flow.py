"""A 1,000,000-recipient flow: the import's time and memory, then the worker's memory.

    .venv/bin/python bench/bench_big_flow.py [--recipients 1000000] [--worker-seconds 120]

(a) `import_flow` of a CSV of that many rows (codice fiscale and name) into a fresh
    SQLite database, in a child process of its own: wall time and peak RSS (VmHWM), with
    the RSS sampled every 0.25 s.
(b) `appio worker` as a process against `appio simulator --no-rate-limit
    --processing-delay 0` (IO account at 0 requests: no client pacing) for
    `--worker-seconds` or until the flow is finished: its RSS (VmRSS) sampled every
    second, and how many recipients it got through.

Everything lives in a temporary directory, removed at the end. Figures in
bench/RESULTS-flows.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_dispatch import ROOT, database, fiscal_codes, outcomes, recipient_csv, start_flow
from bench_simulator import served

BIN = Path(sys.executable).parent


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def write_csv(path: Path, count: int) -> None:
    t0 = time.perf_counter()
    path.write_bytes(recipient_csv(fiscal_codes(count, seed=7)))
    size = path.stat().st_size / 1e6
    print(f"CSV: {count:,} rows, {size:.0f} MB, written in {time.perf_counter() - t0:.0f} s")


def import_child(directory: Path, csv: Path) -> None:
    """Runs in the child: imports the CSV and prints the figures."""
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            samples.append(rss_mb(os.getpid()))

    with database(directory) as db:
        base = rss_mb(os.getpid())
        content = csv.read_bytes()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()
        flow_id = start_flow(db, content, name="big")
        seconds = time.perf_counter() - t0
        stop.set()
        state, counts = outcomes(db, flow_id)
    peak = rss_mb(os.getpid(), "VmHWM")
    print(
        f"import_flow: {sum(counts.values()):,} rows in {seconds:.1f} s "
        f"({sum(counts.values()) / seconds:,.0f} rows/s); flow {flow_id} «{state}»; "
        f"RSS before {base:.0f} MB (CSV bytes {len(content) / 1e6:.0f} MB loaded after), "
        f"peak {peak:.0f} MB"
    )
    step = max(1, len(samples) // 12)
    print("  RSS samples (MB):", " ".join(f"{s:.0f}" for s in samples[::step]))


def run_import(directory: Path, csv: Path) -> None:
    code = (
        "import sys; sys.path[:0] = [sys.argv[3], sys.argv[4]];"
        "from pathlib import Path; import bench_big_flow as b;"
        "b.import_child(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(directory), str(csv), str(ROOT / "bench"), str(ROOT)],
        check=True,
        timeout=900,
    )


def run_worker(directory: Path, seconds: float) -> None:
    from sqlalchemy import func, select

    from appio_core.domain import Outcome
    from appio_core.storage.models import Notification

    with (
        database(directory, reuse=True) as db,
        served("--no-rate-limit", "--processing-delay", "0") as server,
    ):
        env = {
            **os.environ,
            "APPIO_DATABASE_URL": db.url,
            "APPIO_SECRET_KEY": db.secret,
            "APPIO_IO_BASE_URL": server.base_url,
            "APPIO_DATA_DIR": str(directory / "data"),
            "APPIO_START_WORKER": "0",
            "APPIO_STATUS_FIRST_CHECK_SECONDS": "3600",
        }
        worker = subprocess.Popen(
            [BIN / "appio", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

        def left() -> int:
            with db.sessions() as session:
                return int(
                    session.scalar(
                        select(func.count()).where(
                            Notification.outcome.in_([Outcome.PENDING, Outcome.SENDING])
                        )
                    )
                    or 0
                )

        total = left()
        samples: list[tuple[float, float, int]] = []
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < seconds and worker.poll() is None:
                time.sleep(1.0)
                elapsed = time.monotonic() - t0
                rss = rss_mb(worker.pid)
                done = total - left() if int(elapsed) % 10 == 0 else -1
                samples.append((elapsed, rss, done))
                if done == total:
                    break
        finally:
            worker.send_signal(signal.SIGINT)
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        elapsed = time.monotonic() - t0
        done = total - left()
    rss = [s[1] for s in samples]
    tenth = max(1, len(rss) // 10)
    first, last = rss[:tenth], rss[-tenth:]
    print(
        f"worker: {done:,} of {total:,} recipients in {elapsed:.0f} s "
        f"({done / elapsed:,.0f}/s); RSS max {max(rss):.0f} MB, first tenth avg "
        f"{sum(first) / len(first):.0f} MB, last tenth avg {sum(last) / len(last):.0f} MB"
    )
    print("  time s, RSS MB, recipients done:")
    for t, r, d in samples[:: max(1, len(samples) // 15)]:
        print(f"  {t:5.0f} {r:6.0f} {d if d >= 0 else ''}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--worker-seconds", type=float, default=120.0)
    args = parser.parse_args()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        csv = directory / "recipients.csv"
        write_csv(csv, args.recipients)
        run_import(directory, csv)
        csv.unlink()
        if args.worker_seconds > 0:
            run_worker(directory, min(args.worker_seconds, 3600.0))


if __name__ == "__main__":
    main()
