"""The dispatcher's settings (APPIO_WORKER_*, APPIO_STATUS_*, APPIO_SINGLE_RESERVE_PERCENT)
and a worker's identity."""

from __future__ import annotations

import os
import random
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from appio_core.errors import InvalidInput
from appio_core.io.budget import DEFAULT_RESERVE_PERCENT

# The share of an account's quota a worker may keep for single messages and checks: beyond
# half, the flows would be the ones waiting.
RESERVE_PERCENT_RANGE = range(1, 51)

N = TypeVar("N", int, float)


@dataclass(frozen=True)
class DispatcherConfig:
    batch_size: int = 500  # rows claimed at once
    concurrency: int = 64  # requests in flight per account
    lease_seconds: float = 30.0
    max_attempts: int = 5
    retry_delays: tuple[float, ...] = (10.0, 60.0, 300.0, 900.0)
    idle_sleep: float = 1.0
    status_first_check: float = 30.0  # seconds after sending
    status_min_interval: float = 600.0  # between two reads of one message's status
    status_batch: int = 200
    # Of each IO account's quota, kept for single messages and checks while they use it
    # (appio_core/io/budget.py).
    single_reserve_percent: int = DEFAULT_RESERVE_PERCENT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DispatcherConfig:
        env = os.environ if environ is None else environ
        defaults = cls()

        def read(name: str, kind: Callable[[str], N], default: N) -> N:
            value = env.get(name)
            if value is None:
                return default
            try:
                return kind(value)
            except ValueError:
                raise InvalidInput(f"{name} deve essere un numero, non «{value}».") from None

        return cls(
            batch_size=read("APPIO_WORKER_BATCH_SIZE", int, defaults.batch_size),
            concurrency=read("APPIO_WORKER_CONCURRENCY", int, defaults.concurrency),
            lease_seconds=read("APPIO_WORKER_LEASE_SECONDS", float, defaults.lease_seconds),
            max_attempts=read("APPIO_WORKER_MAX_ATTEMPTS", int, defaults.max_attempts),
            idle_sleep=read("APPIO_WORKER_IDLE_SECONDS", float, defaults.idle_sleep),
            status_first_check=read(
                "APPIO_STATUS_FIRST_CHECK_SECONDS", float, defaults.status_first_check
            ),
            status_min_interval=read(
                "APPIO_STATUS_MIN_INTERVAL_SECONDS", float, defaults.status_min_interval
            ),
            single_reserve_percent=reserve_percent(env),
        )

    def retry_delay(self, attempts: int) -> float:
        """Jittered wait before attempt `attempts + 1`."""
        base = self.retry_delays[min(attempts, len(self.retry_delays)) - 1]
        return base * (0.75 + 0.5 * random.random())


def reserve_percent(env: Mapping[str, str]) -> int:
    """APPIO_SINGLE_RESERVE_PERCENT: a whole number from 1 to 50 (unset: 10)."""
    name = "APPIO_SINGLE_RESERVE_PERCENT"
    raw = env.get(name, "").strip().removesuffix("%").strip()
    if not raw:
        return DEFAULT_RESERVE_PERCENT
    if raw.isdigit() and int(raw) in RESERVE_PERCENT_RANGE:
        return int(raw)
    raise InvalidInput(
        f"{name} deve essere un numero intero da {RESERVE_PERCENT_RANGE.start} a "
        f"{RESERVE_PERCENT_RANGE.stop - 1} (la percentuale del limite di IO tenuta per i "
        f"messaggi singoli e le verifiche mentre un flusso invia), non «{env[name]}»."
    )


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
