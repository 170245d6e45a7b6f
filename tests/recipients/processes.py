"""Running a command and measuring it as an operator's machine would feel it: the wall time
and the peak memory of every process it starts (the sandbox's fork server and children
included), sampled from /proc."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    seconds: float
    exit_code: int
    stdout: str
    peaks_mb: dict[int, float]  # pid -> peak resident memory (VmHWM)

    @property
    def total_peak_mb(self) -> float:
        return sum(self.peaks_mb.values())


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


def measure(command: list[str], env: dict[str, str] | None = None) -> Measured:
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    peaks: dict[int, int] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            stack = [process.pid]
            while stack:
                pid = stack.pop()
                peaks[pid] = max(peaks.get(pid, 0), _hwm_kb(pid))
                stack.extend(_children(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, _ = process.communicate(timeout=60)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return Measured(
        seconds=seconds,
        exit_code=process.returncode,
        stdout=stdout,
        peaks_mb={pid: kb / 1024 for pid, kb in peaks.items() if kb},
    )
