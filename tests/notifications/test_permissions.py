"""Every notifications action, for each role and enablement: the core refuses what a page
would only hide."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import Role
from appio_core.errors import PermissionDenied
from appio_core.exports.workbooks import write_notifications
from appio_core.notifications import single
from appio_core.notifications.archive import NotificationFilters
from appio_core.notifications.detail import get_detail, refresh_status
from appio_core.notifications.recipient_check import check_recipient
from appio_core.notifications.single import NewNotification, SingleResult

from .conftest import TARI, role_actor

Action = Callable[[sessionmaker[Session], Actor, KeyBox, NewNotification, int], object]


def _in_session(call: Callable[[Session], object]) -> Callable[[sessionmaker[Session]], object]:
    def run(sessions: sessionmaker[Session]) -> object:
        with sessions.begin() as session:
            return call(session)

    return run


ACTIONS: dict[str, Action] = {
    "send": lambda s, a, k, m, nid: single.send_new(s, a, m, k, "simulator"),
    "verify recipient": lambda s, a, k, m, nid: check_recipient(
        s, a, m.service_id, m.fiscal_code, k, "simulator"
    ),
    "send again": lambda s, a, k, m, nid: single.resend(s, a, nid, k, "simulator"),
    "mark as sent": lambda s, a, k, m, nid: _in_session(
        lambda session: single.mark_sent(session, a, nid)
    )(s),
    "read detail": lambda s, a, k, m, nid: _in_session(lambda session: get_detail(session, a, nid))(
        s
    ),
    "refresh status": lambda s, a, k, m, nid: refresh_status(s, a, nid, k, "simulator"),
}
SENDING = {"send", "verify recipient", "send again", "mark as sent"}

# (role, enabled on the service) -> the actions that must be refused.
REFUSED = {
    (Role.OPERATOR, True): set(),
    (Role.OPERATOR, False): set(ACTIONS),
    (Role.VIEWER, True): SENDING,
    (Role.VIEWER, False): set(ACTIONS),
}


@pytest.fixture
def sent(send: Callable[..., SingleResult], message: NewNotification) -> int:
    return send(Actor.system(), message).id


@pytest.mark.parametrize(("role", "enabled"), list(REFUSED), ids=lambda v: str(v))
@pytest.mark.parametrize("name", list(ACTIONS))
def test_each_action_checks_role_and_enablement(
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    message: NewNotification,
    sent: int,
    role: Role,
    enabled: bool,
    name: str,
) -> None:
    with sessions.begin() as session:
        actor = role_actor(session, "utente", role, *([TARI.name] if enabled else []))
    action = ACTIONS[name]
    if name in REFUSED[(role, enabled)]:
        with pytest.raises(PermissionDenied):
            action(sessions, actor, keybox, message, sent)
    else:
        # Allowed: any refusal now is about the state of the message, not the operator.
        try:
            action(sessions, actor, keybox, message, sent)
        except PermissionDenied:  # pragma: no cover - the failure the test is about
            pytest.fail(f"{name} refused to an allowed {role}")
        except Exception as exc:
            assert "permesso" not in getattr(exc, "code", "")


def test_the_export_contains_only_the_services_enabled_for_the_operator(
    sessions: sessionmaker[Session], sent: int
) -> None:
    with sessions.begin() as session:
        nobody = role_actor(session, "nessuno", Role.VIEWER)
        tari = role_actor(session, "tari", Role.VIEWER, TARI.name)
        empty, mine = io.BytesIO(), io.BytesIO()
        assert write_notifications(session, nobody, NotificationFilters(), empty) == 0
        assert write_notifications(session, tari, NotificationFilters(), mine) == 1
