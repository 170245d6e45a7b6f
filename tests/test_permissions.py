"""Every core action refuses what the actor's role or service enablement does not allow."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts import (
    connection_check,
    io_access,
    io_import,
    key_regeneration,
    manage_key,
    operators,
    service_keys,
    services,
)
from appio_core.accounts.connection_check import run_connection_check
from appio_core.accounts.io_access import service_access
from appio_core.accounts.io_import import import_services, io_services
from appio_core.accounts.key_regeneration import regenerate_keys
from appio_core.accounts.manage_key import open_manage_key, set_manage_key
from appio_core.accounts.operators import (
    create_operator,
    list_operators,
    reset_password,
    set_active,
    set_email,
    set_role,
)
from appio_core.accounts.permissions import Actor, require_service_send
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import (
    DEFAULT_ACCOUNT,
    ServiceInput,
    api_keys,
    create_service,
    enable_operator,
    find_service,
    list_services,
    rotate_keys,
    sendable_services,
    set_account_rate_limit,
    set_enabled_operators,
    update_service,
)
from appio_core.config import load_settings
from appio_core.domain import Role
from appio_core.errors import PermissionDenied
from appio_core.io.manage import ManageClient

from .conftest import TEST_SECRET_KEY

SERVICE = ServiceInput(name="Tributi", io_service_id="01JTRIB", primary_key="primary-key-1234")
OTHER = ServiceInput(name="Mensa", io_service_id="01JMENSA", primary_key="primary-key-5678")

Call = Callable[[Session, Actor, KeyBox, int], object]


def _unreached() -> ManageClient:
    """A client of IO's management API that the refused call must not use."""
    return ManageClient("http://unreached/api/v1", httpx.AsyncClient())


def _regenerate(session: Session, actor: Actor, box: KeyBox, service_id: int) -> object:
    session.commit()  # it works in transactions of its own
    sessions = sessionmaker(bind=session.get_bind())
    return asyncio.run(regenerate_keys(sessions, actor, service_id, box, _unreached()))


# (the core function, a call of it) for the actions reserved to administrators.
ADMIN_ONLY: tuple[tuple[Callable[..., object], Call], ...] = (
    (
        create_operator,
        lambda s, a, b, sid: create_operator(s, a, "nuovo", "password-123", Role.OPERATOR),
    ),
    (list_operators, lambda s, a, b, sid: list_operators(s, a)),
    (set_active, lambda s, a, b, sid: set_active(s, a, "admin2", False)),
    (set_role, lambda s, a, b, sid: set_role(s, a, "admin2", Role.VIEWER)),
    (set_email, lambda s, a, b, sid: set_email(s, a, "admin2", "capo@comune.example.it")),
    (
        reset_password,
        lambda s, a, b, sid: reset_password(s, a, "admin2", "una-password-nuova"),
    ),
    (create_service, lambda s, a, b, sid: create_service(s, a, OTHER, b)),
    (update_service, lambda s, a, b, sid: update_service(s, a, sid, SERVICE, b)),
    (enable_operator, lambda s, a, b, sid: enable_operator(s, a, "Tributi", "admin2")),
    (set_enabled_operators, lambda s, a, b, sid: set_enabled_operators(s, a, sid, [])),
    (rotate_keys, lambda s, a, b, sid: rotate_keys(s, a, b)),
    (
        set_account_rate_limit,
        lambda s, a, b, sid: set_account_rate_limit(s, a, DEFAULT_ACCOUNT, 10, 5),
    ),
    (set_manage_key, lambda s, a, b, sid: set_manage_key(s, a, "ente-manage-key-1", b)),
    (open_manage_key, lambda s, a, b, sid: open_manage_key(s, a, b)),
    (io_services, lambda s, a, b, sid: asyncio.run(io_services(s, a, b, _unreached()))),
    (
        import_services,
        lambda s, a, b, sid: asyncio.run(import_services(s, a, b, _unreached(), None)),
    ),
    (regenerate_keys, _regenerate),
)

# Actions on one service that need the actor to be enabled on it.
SIMULATOR_ENV = {"APPIO_IO_BASE_URL": "simulator", "APPIO_SECRET_KEY": TEST_SECRET_KEY}
SERVICE_READS: tuple[tuple[Callable[..., object], Call], ...] = (
    (find_service, lambda s, a, b, sid: find_service(s, a, "Tributi")),
    (api_keys, lambda s, a, b, sid: api_keys(s, a, sid, b)),
    (service_access, lambda s, a, b, sid: service_access(s, a, sid, b)),
    (
        run_connection_check,
        lambda s, a, b, sid: run_connection_check(s, a, sid, b, load_settings(SIMULATOR_ENV)),
    ),
    (require_service_send, lambda s, a, b, sid: require_service_send(s, a, sid)),
)
# Open to every role, each seeing only what they may (tested below); logout records the
# operator's own sign-out (tests/audit); change_own_password his own (tests/test_passwords.py).
FOR_EVERY_ROLE = {
    list_services,
    sendable_services,
    operators.logout,
    operators.change_own_password,
}
ACCOUNT_MODULES = (
    operators,
    services,
    service_keys,
    io_access,
    connection_check,
    manage_key,
    io_import,
    key_regeneration,
)


def _ids(cases: tuple[tuple[Callable[..., object], Call], ...]) -> list[str]:
    return [function.__name__ for function, _ in cases]


def test_every_account_function_that_takes_an_actor_is_checked_here() -> None:
    """A new function of accounts/ that acts for someone must join one of the lists."""
    taking_an_actor = {
        function
        for module in ACCOUNT_MODULES
        for _, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and "actor" in inspect.signature(function).parameters
    }
    checked = {f for f, _ in ADMIN_ONLY} | {f for f, _ in SERVICE_READS} | FOR_EVERY_ROLE
    assert taking_an_actor == checked - {require_service_send}


@pytest.fixture
def service_id(session: Session, admin: Actor, keybox: KeyBox) -> int:
    create_operator(session, admin, "admin2", "password-123", Role.ADMIN)
    return create_service(session, admin, SERVICE, keybox).id


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.VIEWER])
@pytest.mark.parametrize(("function", "action"), ADMIN_ONLY, ids=_ids(ADMIN_ONLY))
def test_only_administrators_manage_operators_and_services(
    session: Session,
    keybox: KeyBox,
    service_id: int,
    make_actor: Callable[[str, Role], Actor],
    role: Role,
    function: Callable[..., object],
    action: Call,
) -> None:
    actor = make_actor("someone", role)
    with pytest.raises(PermissionDenied, match="Solo un amministratore"):
        action(session, actor, keybox, service_id)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.VIEWER])
@pytest.mark.parametrize(("function", "action"), SERVICE_READS, ids=_ids(SERVICE_READS))
def test_operators_not_enabled_on_a_service_are_refused(
    session: Session,
    keybox: KeyBox,
    service_id: int,
    make_actor: Callable[[str, Role], Actor],
    role: Role,
    function: Callable[..., object],
    action: Call,
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
    assert find_service(session, viewer, "Tributi").id == service_id
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
    assert [v.name for v in sendable_services(session, operator)] == ["Tributi"]
    viewer = make_actor("lettore", Role.VIEWER)
    enable_operator(session, admin, "Tributi", "lettore")
    assert [v.name for v in list_services(session, viewer)] == ["Tributi"]
    assert sendable_services(session, viewer) == []
