"""The delivery's settings (APPIO_WEBHOOK_*) and its schedule of attempts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from appio_core.errors import InvalidInput

# After the first attempt fails: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h,
# for 24 hours from the event (or from its «Reinvia»); the last attempt at the 24th hour.
RETRY_DELAYS = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
RETRY_EVERY = 7200.0


@dataclass(frozen=True)
class WebhookConfig:
    timeout_seconds: float = 10.0  # a whole attempt: connect, send, answer
    batch_size: int = 50  # events claimed, and posted in parallel, at once
    idle_seconds: float = 1.0  # between two looks at an empty queue
    retry_for: timedelta = timedelta(hours=24)
    keep_for: timedelta = timedelta(days=30)  # delivered and failed events in the log

    @property
    def lease(self) -> timedelta:
        """A claim outlasts its batch: every post of it runs at once, each cut at
        `timeout_seconds`; twice that plus half a minute for the database."""
        return timedelta(seconds=2 * self.timeout_seconds + 30)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebhookConfig:
        env = os.environ if environ is None else environ
        defaults = cls()

        def number(name: str, default: float, low: float, high: float) -> float:
            raw = env.get(name, "").strip().replace(",", ".")
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                value = low - 1
            if not low <= value <= high:
                raise InvalidInput(
                    f"{name} deve essere un numero da {low:g} a {high:g}, non «{env[name]}»."
                )
            return value

        return cls(
            timeout_seconds=number(
                "APPIO_WEBHOOK_TIMEOUT_SECONDS", defaults.timeout_seconds, 1, 60
            ),
            batch_size=int(number("APPIO_WEBHOOK_BATCH_SIZE", defaults.batch_size, 1, 500)),
            idle_seconds=number("APPIO_WEBHOOK_IDLE_SECONDS", defaults.idle_seconds, 0.1, 60),
        )


def next_attempt(
    attempts: int, now: datetime, since: datetime, retry_for: timedelta
) -> datetime | None:
    """When to try again after `attempts` failed attempts, the first counted from
    `since`; None: give up («fallito»)."""
    deadline = since + retry_for
    if now >= deadline:
        return None
    delay = RETRY_DELAYS[attempts - 1] if attempts <= len(RETRY_DELAYS) else RETRY_EVERY
    return min(now + timedelta(seconds=delay), deadline)
