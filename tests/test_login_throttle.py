"""Failed logins slow down, then lock the username (and, many more, the address); all in
the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.operators import authenticate
from appio_core.accounts.permissions import Actor
from appio_core.accounts.throttle import LoginLocked, ThrottlePolicy
from appio_core.audit.models import AuditEntry
from appio_core.domain import Role
from appio_core.storage.models import utcnow

POLICY = ThrottlePolicy.of(max_failures=5, lock_minutes=15)
GOOD = "password-1234"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def _try(session: Session, clock: Clock, username: str, password: str, origin: str) -> object:
    return authenticate(
        session, username, password, origin, throttle=POLICY, sleep=clock.sleep, now=clock.now
    )


def test_failures_slow_down_then_lock_the_username_even_for_the_right_password(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    make_actor("mrossi", Role.OPERATOR)
    clock = Clock()
    for _ in range(5):
        assert _try(session, clock, "mrossi", "sbagliata", "198.51.100.4") is None
    assert clock.slept == [1.0, 2.0]  # the 3rd and 4th failures in a row waited
    with pytest.raises(LoginLocked, match="riprova tra 15 minuti"):
        _try(session, clock, "MRossi", GOOD, "203.0.113.9")  # another address: still locked
    clock.now += timedelta(minutes=15)
    assert _try(session, clock, "mrossi", GOOD, "198.51.100.4") is not None
    # A success clears the count: the next typo costs nothing.
    assert _try(session, clock, "mrossi", "sbagliata", "198.51.100.4") is None
    assert clock.slept == [1.0, 2.0]
    session.commit()

    details = [
        (e.operator, e.outcome, e.detail)
        for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        if e.action == "login"
    ]
    assert (
        "mrossi",
        "rifiutato",
        "Password errata. Nome utente bloccato per 15 minuti dopo 5 tentativi falliti.",
    ) in details
    assert ("mrossi", "rifiutato", "Accesso bloccato: troppi tentativi falliti.") in details
    assert ("mrossi", "riuscito", "") in details


def test_many_usernames_from_one_address_lock_the_address(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    make_actor("mrossi", Role.OPERATOR)
    clock = Clock()
    for number in range(20):
        assert _try(session, clock, f"utente{number}", "sbagliata", "198.51.100.4") is None
    with pytest.raises(LoginLocked):
        _try(session, clock, "mrossi", GOOD, "198.51.100.4")
    # From elsewhere the operator still signs in: the lock is the address's.
    assert _try(session, clock, "mrossi", GOOD, "203.0.113.9") is not None


def test_old_failures_are_forgotten(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    make_actor("mrossi", Role.OPERATOR)
    clock = Clock()
    for _ in range(4):
        _try(session, clock, "mrossi", "sbagliata", "198.51.100.4")
    clock.now += timedelta(minutes=16)
    for _ in range(4):
        assert _try(session, clock, "mrossi", "sbagliata", "198.51.100.4") is None
    assert _try(session, clock, "mrossi", GOOD, "198.51.100.4") is not None


def test_counts_of_guessed_usernames_do_not_pile_up(session: Session) -> None:
    from appio_core.storage.runtime_models import LoginThrottle

    clock = Clock()
    for number in range(3):
        _try(session, clock, f"utente{number}", "sbagliata", "198.51.100.4")
    assert len(session.scalars(select(LoginThrottle)).all()) == 4
    clock.now += timedelta(minutes=16)
    _try(session, clock, "altro", "sbagliata", "203.0.113.9")
    assert {t.key for t in session.scalars(select(LoginThrottle))} == {
        "utente:altro",
        "indirizzo:203.0.113.9",
    }
