"""Runs a command and measures it whole: wall time, and the peak resident memory of each of
its processes (`appio` reads recipient files in a sandboxed child forked by a server it
starts, appio_core/recipient_file/sandbox.py), sampled from /proc every 20 ms.

wait4()'s ru_maxrss would not do: it sees neither the grandchild that reads the file nor,
after a fork from a large benchmark process, anything smaller than that process's own peak.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    seconds: float
    status: int
    parent_mb: float  # the command's own process
    server_mb: float  # the sandbox's fork server (0 when none was started)
    child_mb: float  # the largest sandboxed child
    # CPU seconds (user + system): the whole tree, and the database server's backends that
    # served it (PostgreSQL's processes whose title names `database`; 0 on SQLite). On a
    # shared machine these move far less than wall time with the load.
    cpu_s: float = 0.0
    server_cpu_s: float = 0.0


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, ValueError, IndexError):
        return 0.0


def _backends(database: str) -> list[int]:
    """PostgreSQL's backends connected to `database` (their title: postgres: user db ...)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                title = Path(entry.path, "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
                found.append(int(entry.name))
    return found


def run(command: list[str], env: dict[str, str] | None = None, database: str | None = None) -> Run:
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peaks: dict[int, int] = {}
    cpu: dict[int, float] = {}
    server_cpu: dict[int, float] = {}
    depth: dict[int, int] = {process.pid: 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            stack = [process.pid]
            while stack:
                pid = stack.pop()
                peaks[pid] = max(peaks.get(pid, 0), _hwm_kb(pid))
                cpu[pid] = max(cpu.get(pid, 0.0), _cpu_s(pid))
                for child in _children(pid):
                    depth.setdefault(child, depth[pid] + 1)
                    stack.append(child)
            if database is not None:
                for pid in _backends(database):
                    server_cpu[pid] = max(server_cpu.get(pid, 0.0), _cpu_s(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, _ = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    roles = [0.0, 0.0, 0.0]
    for pid, kb in peaks.items():
        role = min(depth.get(pid, 2), 2)
        roles[role] = max(roles[role], kb / 1024)
    total = sum(cpu.values())
    return Run(
        seconds,
        os.waitstatus_to_exitcode(status),
        *roles,
        cpu_s=total,
        server_cpu_s=sum(server_cpu.values()),
    )
