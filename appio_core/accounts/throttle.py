"""Failed logins slow the next attempts down, then lock: per username (a guessed password)
and per client address (many usernames tried from one place).

Counted in the database (`login_throttles`), so every app process sees the same counts.
An address is locked after ADDRESS_FACTOR times as many failures as a username: a whole
office may sit behind one address. Failures older than the lock time are forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from appio_core.config import DEFAULT_LOGIN_LOCK_MINUTES, DEFAULT_LOGIN_MAX_FAILURES
from appio_core.errors import AppError
from appio_core.storage.runtime_models import LoginThrottle

ADDRESS_FACTOR = 4
# The slowdown starts at this many failures in a row: one typo costs nothing.
SLOW_AFTER = 2
MAX_DELAY_SECONDS = 5.0


class LoginLocked(AppError):
    """Too many failed logins: the username or the address waits."""

    code = "accesso_bloccato"


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = DEFAULT_LOGIN_MAX_FAILURES
    lock: timedelta = timedelta(minutes=DEFAULT_LOGIN_LOCK_MINUTES)

    @classmethod
    def of(cls, max_failures: int, lock_minutes: int) -> ThrottlePolicy:
        return cls(max_failures, timedelta(minutes=lock_minutes))


def keys(username: str, origin: str | None) -> list[tuple[str, int]]:
    """The counters a login attempt touches, each with its factor of max_failures."""
    counted = [(f"utente:{username}", 1)]
    if origin:
        counted.append((f"indirizzo:{origin}", ADDRESS_FACTOR))
    return counted


def locked_until(
    session: Session, username: str, origin: str | None, now: datetime
) -> datetime | None:
    """The end of the lock on the username or the address, if either is locked now."""
    ends = [
        row.locked_until
        for key, _ in keys(username, origin)
        if (row := session.get(LoginThrottle, key)) is not None
        and row.locked_until is not None
        and row.locked_until > now
    ]
    return max(ends) if ends else None


def delay_seconds(session: Session, username: str, now: datetime, policy: ThrottlePolicy) -> float:
    """How long the attempt waits before its password is checked: a second more for each
    failure in a row past SLOW_AFTER."""
    row = session.get(LoginThrottle, f"utente:{username}")
    if row is None or now - row.last_failure_at >= policy.lock:
        return 0.0
    return min(float(max(row.failures - SLOW_AFTER, 0)), MAX_DELAY_SECONDS)


def count_failure(
    session: Session, username: str, origin: str | None, now: datetime, policy: ThrottlePolicy
) -> list[str]:
    """Counts a failed attempt; returns what it locked now, in Italian, for the audit log."""
    _forget_old(session, now - policy.lock)
    locked: list[str] = []
    for key, factor in keys(username, origin):
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=now)
            session.add(row)
        elif now - row.last_failure_at >= policy.lock:
            row.failures = 0  # old failures are forgotten
        row.failures += 1
        row.last_failure_at = now
        limit = policy.max_failures * factor
        if row.failures >= limit and (row.locked_until is None or row.locked_until <= now):
            row.locked_until = now + policy.lock
            row.failures = 0
            what = "nome utente" if key.startswith("utente:") else "indirizzo"
            minutes = int(policy.lock.total_seconds() // 60)
            locked.append(
                f"{what.capitalize()} bloccato per {minutes} minuti dopo {limit} tentativi falliti."
            )
    session.flush()
    return locked


def _forget_old(session: Session, before: datetime) -> None:
    """Counts nobody added to since `before` and no longer locking: each guessed username
    leaves a row, and they must not pile up."""
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < before,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < before),
        )
    )


def forget_failures(session: Session, username: str) -> None:
    """A successful login clears the username's count (not the address's: one good
    password must not let a guesser go on from there)."""
    row = session.get(LoginThrottle, f"utente:{username}")
    if row is not None:
        session.delete(row)


def lock_message(until: datetime, now: datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    unit = "minuto" if minutes == 1 else "minuti"
    return (
        f"Troppi tentativi di accesso non riusciti: riprova tra {minutes} {unit}. Se hai"
        " dimenticato la password, chiedi a un amministratore di reimpostarla."
    )
