"""Every notifications action, for each role and enablement: the core refuses what a page
would only hide."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import Outcome, Role
from appio_core.errors import Conflict, PermissionDenied
from appio_core.exports.workbooks import write_notifications
from appio_core.notifications import single
from appio_core.notifications.archive import NotificationFilters
from appio_core.notifications.detail import get_detail
from appio_core.notifications.recipient_check import check_recipient
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.notifications.status_refresh import refresh_status

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
# «Aggiorna stato» is a change too: it writes IO's status into the archive.
CHANGES = {"send", "verify recipient", "send again", "mark as sent", "refresh status"}

# (role, enabled on the service) -> the actions that must be refused.
REFUSED = {
    (Role.OPERATOR, True): set(),
    (Role.OPERATOR, False): set(ACTIONS),
    (Role.VIEWER, True): CHANGES,
    (Role.VIEWER, False): set(ACTIONS),
}

# What an allowed action gives on the message IO accepted (its id: `sent`): a value to
# compare, or the Conflict its state answers (whoever asks).
ALLOWED: dict[str, Callable[[Any, int], object]] = {
    "send": lambda result, sent: result.outcome,
    "verify recipient": lambda result, sent: result.reachable,
    "read detail": lambda result, sent: result.id == sent,
    "refresh status": lambda result, sent: result.id == sent,
}
EXPECTED: dict[str, object] = {
    "send": Outcome.ACCEPTED,
    "verify recipient": True,
    "read detail": True,
    "refresh status": True,
}
CONFLICTS = {
    "send again": (
        "Si può inviare di nuovo solo una notifica con esito incerto o fallita per un errore"
        " temporaneo."
    ),
    "mark as sent": "Solo una notifica con esito incerto si può segnare come inviata.",
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
    elif name in CONFLICTS:
        # Allowed: the refusal is the message's state (IO accepted it), said as such.
        with pytest.raises(Conflict) as refused:
            action(sessions, actor, keybox, message, sent)
        assert refused.value.message == CONFLICTS[name]
    else:
        assert ALLOWED[name](action(sessions, actor, keybox, message, sent), sent) == EXPECTED[name]


def test_every_action_has_its_refusals_and_its_allowed_outcome() -> None:
    assert set(ALLOWED) | set(CONFLICTS) == set(ACTIONS) == set(EXPECTED) | set(CONFLICTS)


def test_the_export_contains_only_the_services_enabled_for_the_operator(
    sessions: sessionmaker[Session], sent: int
) -> None:
    with sessions.begin() as session:
        nobody = role_actor(session, "nessuno", Role.VIEWER)
        tari = role_actor(session, "tari", Role.VIEWER, TARI.name)
        empty, mine = io.BytesIO(), io.BytesIO()
        assert write_notifications(session, nobody, NotificationFilters(), empty) == 0
        assert write_notifications(session, tari, NotificationFilters(), mine) == 1
