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


def run(command: list[str], env: dict[str, str] | None = None) -> Run:
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peaks: dict[int, int] = {}
    depth: dict[int, int] = {process.pid: 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            stack = [process.pid]
            while stack:
                pid = stack.pop()
                peaks[pid] = max(peaks.get(pid, 0), _hwm_kb(pid))
                for child in _children(pid):
                    depth.setdefault(child, depth[pid] + 1)
                    stack.append(child)
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
    return Run(seconds, os.waitstatus_to_exitcode(status), *roles)
