"""How long `appio` takes to start and answer, as a script calling it in a loop sees it.

    .venv/bin/python bench/bench_cli_start.py [--runs 15] [--appio PATH] [--database-url URL]

Builds the demo database (SQLite in a temporary folder unless --database-url is given),
then runs each command --runs times as its own process and prints the median and the
slowest wall time and CPU time. --appio measures another installation's `appio` (a checkout
before a change, for the comparison). Last, `python -X importtime` for `appio flow status`:
the modules that still cost most.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (
    ("--help",),
    ("flow", "status", "1"),
    ("flow", "status", "1", "--format", "json"),
    ("notification", "show", "1"),
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _once(appio: str, args: tuple[str, ...], env: dict[str, str]) -> tuple[float, float]:
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run([appio, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def _importtime(appio: str, args: tuple[str, ...], env: dict[str, str], top: int) -> list[str]:
    python = str(Path(appio).with_name("python"))
    probe = "import sys; from appio_core.cli import cli; cli(sys.argv[1:], prog_name='appio')"
    done = subprocess.run(
        [python, "-X", "importtime", "-c", probe, *args],
        env=env,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, _own, cumulative, raw_name = line.replace(":", "|", 1).split("|")
        depth = (len(raw_name) - len(raw_name.lstrip()) - 1) // 2
        if depth <= 1:  # what the command imports, and what those import directly
            rows.append((int(cumulative), "  " * depth + raw_name.strip()))
    rows.sort(reverse=True)
    return [f"{cumulative / 1000:7.1f} ms  {name}" for cumulative, name in rows[:top]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--appio", default=str(Path(sys.executable).with_name("appio")))
    parser.add_argument("--database-url")
    parser.add_argument("--top", type=int, default=12)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "APPIO_DATA_DIR": data_dir,
            "APPIO_IO_BASE_URL": "simulator",
            "APPIO_START_WORKER": "0",
        }
        env.pop("APPIO_SECRET_KEY", None)  # the demo keeps its own under the data folder
        # The installation runs from compiled bytecode (the Dockerfile's compileall): the
        # warm-up run below writes it, unless this variable (set on some machines) forbids
        # it and every run compiles appio_core's sources again.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if options.database_url:
            env["APPIO_DATABASE_URL"] = options.database_url
        subprocess.run(
            [options.appio, "init", "--demo"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(f"load before: {os.getloadavg()[0]:.2f}; {options.runs} runs each; {options.appio}")
        for args in COMMANDS:
            _once(options.appio, args, env)  # warm the page cache and the bytecode
            walls, cpus = zip(
                *(_once(options.appio, args, env) for _ in range(options.runs)), strict=True
            )
            print(
                f"appio {' '.join(args):36} wall median {statistics.median(walls):.3f} s"
                f" max {max(walls):.3f} s; CPU median {statistics.median(cpus):.3f} s"
                f" min {min(cpus):.3f} s; load {os.getloadavg()[0]:.2f}"
            )
        print(f"load after: {os.getloadavg()[0]:.2f}")
        print("\nimporttime, appio flow status 1 (cumulative, top-level packages):")
        for row in _importtime(options.appio, ("flow", "status", "1"), env, options.top):
            print(row)


if __name__ == "__main__":
    main()
