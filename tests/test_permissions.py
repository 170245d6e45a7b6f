"""Every core action refuses what the actor's role or service enablement does not allow."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from appio_core.accounts.operators import create_operator, list_operators, set_active
from appio_core.accounts.permissions import Actor, require_service_send
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import (
    ServiceInput,
    api_keys,
    create_service,
    enable_operator,
    get_service,
    list_services,
    set_enabled_operators,
    update_service,
)
from appio_core.domain import Role
from appio_core.errors import PermissionDenied

SERVICE = ServiceInput(name="Tributi", io_service_id="01JTRIB", primary_key="primary-key-1234")
OTHER = ServiceInput(name="Mensa", io_service_id="01JMENSA", primary_key="primary-key-5678")

# (action name, call) for the actions reserved to administrators.
ADMIN_ONLY: tuple[tuple[str, Callable[[Session, Actor, KeyBox, int], object]], ...] = (
    (
        "create operator",
        lambda s, a, b, sid: create_operator(s, a, "nuovo", "password-123", Role.OPERATOR),
    ),
    ("list operators", lambda s, a, b, sid: list_operators(s, a)),
    ("deactivate operator", lambda s, a, b, sid: set_active(s, a, "admin2", False)),
    ("create service", lambda s, a, b, sid: create_service(s, a, OTHER, b)),
    ("update service", lambda s, a, b, sid: update_service(s, a, sid, SERVICE, b)),
    ("enable operator", lambda s, a, b, sid: enable_operator(s, a, "Tributi", "admin2")),
    ("set enabled operators", lambda s, a, b, sid: set_enabled_operators(s, a, sid, [])),
)

# Actions on one service that need the actor to be enabled on it.
SERVICE_READS: tuple[tuple[str, Callable[[Session, Actor, KeyBox, int], object]], ...] = (
    ("read service", lambda s, a, b, sid: get_service(s, a, sid)),
    ("use the keys", lambda s, a, b, sid: api_keys(s, a, sid, b)),
    ("send", lambda s, a, b, sid: require_service_send(s, a, sid)),
)


@pytest.fixture
def service_id(session: Session, admin: Actor, keybox: KeyBox) -> int:
    create_operator(session, admin, "admin2", "password-123", Role.ADMIN)
    return create_service(session, admin, SERVICE, keybox).id


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.VIEWER])
@pytest.mark.parametrize(("name", "action"), ADMIN_ONLY, ids=[n for n, _ in ADMIN_ONLY])
def test_only_administrators_manage_operators_and_services(
    session: Session,
    keybox: KeyBox,
    service_id: int,
    make_actor: Callable[[str, Role], Actor],
    role: Role,
    name: str,
    action: Callable[[Session, Actor, KeyBox, int], object],
) -> None:
    actor = make_actor("someone", role)
    with pytest.raises(PermissionDenied, match="Solo un amministratore"):
        action(session, actor, keybox, service_id)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.VIEWER])
@pytest.mark.parametrize(("name", "action"), SERVICE_READS, ids=[n for n, _ in SERVICE_READS])
def test_operators_not_enabled_on_a_service_are_refused(
    session: Session,
    keybox: KeyBox,
    service_id: int,
    make_actor: Callable[[str, Role], Actor],
    role: Role,
    name: str,
    action: Callable[[Session, Actor, KeyBox, int], object],
) -> None:
    actor = make_actor("someone", role)
    with pytest.raises(PermissionDenied, match=r"Non sei abilitato a questo servizio|sola consult"):
        action(session, actor, keybox, service_id)


def test_a_viewer_enabled_on_a_service_may_read_it_but_not_send(
    session: Session,
    admin: Actor,
    keybox: KeyBox,
    service_id: int,
    make_actor: Callable[[str, Role], Actor],
) -> None:
    viewer = make_actor("lettore", Role.VIEWER)
    enable_operator(session, admin, "Tributi", "lettore")
    assert get_service(session, viewer, service_id).name == "Tributi"
    with pytest.raises(PermissionDenied, match="sola consultazione"):
        require_service_send(session, viewer, service_id)


def test_an_enabled_operator_may_send_and_sees_only_their_services(
    session: Session,
    admin: Actor,
    keybox: KeyBox,
    service_id: int,
    make_actor: Callable[[str, Role], Actor],
) -> None:
    create_service(session, admin, OTHER, keybox)
    operator = make_actor("mrossi", Role.OPERATOR)
    enable_operator(session, admin, "Tributi", "mrossi")
    require_service_send(session, operator, service_id)
    assert [v.name for v in list_services(session, operator)] == ["Tributi"]
    assert [v.name for v in list_services(session, admin)] == ["Mensa", "Tributi"]
