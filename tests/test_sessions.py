"""Server-side sessions: only the token's hash is kept; idle time, lifetime, revocation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.operators import get_operator, set_active
from appio_core.accounts.permissions import Actor
from appio_core.accounts.sessions import (
    SessionPolicy,
    open_session,
    resume,
    revoke,
    revoke_all,
    token_hash,
)
from appio_core.domain import Role
from appio_core.storage.models import utcnow
from appio_core.storage.runtime_models import OperatorSession

POLICY = SessionPolicy.of(idle_minutes=30, max_hours=12)


def test_the_database_keeps_only_the_tokens_hash(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    actor = make_actor("mrossi", Role.OPERATOR)
    assert actor.id is not None
    token = open_session(session, actor.id, POLICY, "198.51.100.4")
    assert len(token) >= 40
    row = session.scalars(select(OperatorSession)).one()
    assert row.token_hash == token_hash(token) != token
    assert row.origin == "198.51.100.4"
    operator = resume(session, token, POLICY)
    assert operator is not None and operator.username == "mrossi"
    assert resume(session, token + "x", POLICY) is None


def test_a_session_ends_after_the_idle_time_and_after_its_lifetime(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    actor = make_actor("mrossi", Role.OPERATOR)
    assert actor.id is not None
    start = utcnow()
    token = open_session(session, actor.id, POLICY, now=start)
    # Clicks every 20 minutes keep it alive...
    for step in range(1, 36):
        assert resume(session, token, POLICY, now=start + timedelta(minutes=20 * step))
    # ...until the 12 hours are over.
    assert resume(session, token, POLICY, now=start + timedelta(hours=12)) is None

    idle = open_session(session, actor.id, POLICY, now=start)
    assert resume(session, idle, POLICY, now=start + timedelta(minutes=29)) is not None
    assert resume(session, idle, POLICY, now=start + timedelta(minutes=60)) is None
    # Once expired, never good again.
    assert resume(session, idle, POLICY, now=start + timedelta(minutes=61)) is None


def test_esci_revokes_one_session_and_disabling_revokes_all(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    actor = make_actor("mrossi", Role.OPERATOR)
    assert actor.id is not None
    first = open_session(session, actor.id, POLICY)
    second = open_session(session, actor.id, POLICY)
    third = open_session(session, actor.id, POLICY)
    revoke(session, first)
    assert resume(session, first, POLICY) is None
    assert resume(session, second, POLICY) is not None
    assert revoke_all(session, actor.id, keep=third) == 1
    assert resume(session, second, POLICY) is None
    assert resume(session, third, POLICY) is not None

    fourth = open_session(session, actor.id, POLICY)
    set_active(session, Actor.system(), "mrossi", False)
    assert resume(session, fourth, POLICY) is None
    assert resume(session, third, POLICY) is None
    set_active(session, Actor.system(), "mrossi", True)
    assert resume(session, fourth, POLICY) is None  # revoked, not only refused
    assert get_operator(session, "mrossi").active


def test_core_checks_read_the_operators_current_role_and_state(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    """The Actor a page holds was read at the start of its run: a change made meanwhile by
    an administrator counts at the operator's very next action."""
    from appio_core.accounts.operators import list_operators, set_role
    from appio_core.accounts.permissions import current_role
    from appio_core.accounts.security import KeyBox
    from appio_core.accounts.services import ServiceInput, create_service, sendable_services
    from appio_core.errors import PermissionDenied

    from .conftest import TEST_SECRET_KEY

    boss = make_actor("capo", Role.ADMIN)
    make_actor("vice", Role.ADMIN)
    create_service(
        session,
        boss,
        ServiceInput(name="Tributi", io_service_id="01JTRIB", primary_key="primary-key-1234"),
        KeyBox(TEST_SECRET_KEY),
    )
    assert list_operators(session, boss)
    assert sendable_services(session, boss)

    set_role(session, Actor.system(), "capo", Role.VIEWER)
    assert boss.role == Role.ADMIN  # the stale value...
    assert current_role(session, boss) == Role.VIEWER  # ...is not what counts
    with pytest.raises(PermissionDenied, match="Solo un amministratore"):
        list_operators(session, boss)
    assert sendable_services(session, boss) == []

    set_role(session, Actor.system(), "capo", Role.ADMIN)
    set_active(session, Actor.system(), "capo", False)
    with pytest.raises(PermissionDenied, match="disattivato"):
        list_operators(session, boss)


def test_a_transaction_reads_an_operator_s_role_and_services_once(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    """The checks of one action share what they read (an API request checked the same
    role five times); a change in the same transaction is read again; the next transaction
    reads anew."""
    from sqlalchemy import event

    from appio_core.accounts.operators import set_role
    from appio_core.accounts.permissions import current_role, enabled_service_ids

    clerk = make_actor("impiegato", Role.OPERATOR)
    session.commit()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        session.expunge_all()  # nothing in the identity map: every read is a statement
        for _ in range(3):
            assert current_role(session, clerk) == Role.OPERATOR
            assert enabled_service_ids(session, clerk) == frozenset()
        assert len(statements) == 2  # the operator, his services: once each
        set_role(session, Actor.system(), "impiegato", Role.VIEWER)
        assert current_role(session, clerk) == Role.VIEWER
        session.commit()
        statements.clear()
        session.expunge_all()
        assert current_role(session, clerk) == Role.VIEWER
        assert len(statements) == 1  # a new transaction reads again
    finally:
        event.remove(engine, "before_cursor_execute", count)
