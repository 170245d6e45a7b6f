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

from appio_core.config import io_timeout_seconds
from appio_core.errors import InvalidInput
from appio_core.io.budget import DEFAULT_RESERVE_PERCENT
from appio_core.io.http import CONNECT_SECONDS, READ_SECONDS
from appio_core.numbers import whole_number

# The share of an account's quota a worker may keep for single messages and checks: beyond
# half, the flows would be the ones waiting.
RESERVE_PERCENT_RANGE = range(1, 51)

N = TypeVar("N", int, float)

# The account's lease must outlast any request the worker has in flight: a worker whose
# request outlives its lease answers after another worker took the account over, turned the
# row into «esito incerto» and maybe resent it on an operator's «Reinvia». (Its late
# outcome is then dropped, change_writes.py; but IO may get the first message late.)
# Once it leaves the limiter a request lasts at most connect + read (5 + 30 s), plus up to
# POOL_SECONDS (60 s) waiting for a free connection. The lease is three times connect +
# read, 105 s by default:
# - it is renewed every third of its length while a batch is in flight (leases.py), so one
#   missed renewal (a slow database) still leaves a whole request's time;
# - each chunk's posts start right after a renewal (the one committed with send_started_at),
#   so even the pool's wait plus connect plus read (95 s) ends before that lease expires.
# The limiter's own wait has no bound (IO's 429s pause it): the renewal in the background
# covers it while the worker lives, the fence when it stalls. The price: a dead worker's
# accounts wait as long before another worker takes them over.
LEASE_PER_REQUEST = 3


def default_lease(read_seconds: float) -> float:
    """The lease for IO's read timeout `read_seconds` (APPIO_IO_TIMEOUT_SECONDS)."""
    return LEASE_PER_REQUEST * (CONNECT_SECONDS + read_seconds)


@dataclass(frozen=True)
class DispatcherConfig:
    batch_size: int = 500  # rows claimed at once
    concurrency: int = 64  # requests in flight per account
    lease_seconds: float = default_lease(READ_SECONDS)
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

        timeout = io_timeout_seconds(env)
        lease = read("APPIO_WORKER_LEASE_SECONDS", float, default_lease(timeout))
        if not lease > timeout:
            raise InvalidInput(
                f"APPIO_WORKER_LEASE_SECONDS ({_seconds(lease)} s) deve essere più lungo"
                f" dell'attesa di una risposta di IO (APPIO_IO_TIMEOUT_SECONDS,"
                f" {_seconds(timeout)} s): un worker perderebbe l'account IO mentre aspetta"
                f" una risposta. Togli l'impostazione (vale {_seconds(default_lease(timeout))}"
                f" s, tre volte una richiesta) o indica un valore più alto."
            )
        return cls(
            batch_size=read("APPIO_WORKER_BATCH_SIZE", int, defaults.batch_size),
            concurrency=read("APPIO_WORKER_CONCURRENCY", int, defaults.concurrency),
            lease_seconds=lease,
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


def _seconds(value: float) -> str:
    """105.0 -> '105', 2.5 -> '2,5' (Italian decimals)."""
    return f"{value:g}".replace(".", ",")


def reserve_percent(env: Mapping[str, str]) -> int:
    """APPIO_SINGLE_RESERVE_PERCENT: a whole number from 1 to 50 (unset: 10)."""
    name = "APPIO_SINGLE_RESERVE_PERCENT"
    raw = env.get(name, "").strip().removesuffix("%").strip()
    if not raw:
        return DEFAULT_RESERVE_PERCENT
    percent = whole_number(raw, max(RESERVE_PERCENT_RANGE))
    if percent is not None and percent in RESERVE_PERCENT_RANGE:
        return percent
    raise InvalidInput(
        f"{name} deve essere un numero intero da {RESERVE_PERCENT_RANGE.start} a "
        f"{RESERVE_PERCENT_RANGE.stop - 1} (la percentuale del limite di IO tenuta per i "
        f"messaggi singoli e le verifiche mentre un flusso invia), non «{env[name]}»."
    )


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
