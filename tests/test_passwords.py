"""The password policy, changing one's own password and an administrator's reset."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from appio_core.accounts.operators import (
    authenticate,
    change_own_password,
    reset_password,
)
from appio_core.accounts.passwords import check_password, common_passwords
from appio_core.accounts.permissions import Actor
from appio_core.accounts.sessions import SessionPolicy, open_session, resume
from appio_core.cli import cli
from appio_core.domain import Role
from appio_core.errors import InvalidInput, PermissionDenied

POLICY = SessionPolicy.of(30, 12)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("12345678", "Password troppo corta: servono almeno 12 caratteri (ne ha 8)."),
        ("password", "Password troppo corta"),
        ("password1234", "Questa password è tra le più comuni"),
        ("Qwertyuiop123", "Questa password è tra le più comuni"),
        ("JUVENTUS1897", "Questa password è tra le più comuni"),
        ("aaaaaaaaaaaaaa", "Questa password è tra le più comuni"),
        ("mrossi-ufficio-2026", "La password non può contenere il nome utente"),
        (" spazio-davanti-22", "La password non può iniziare o finire con uno spazio."),
    ],
)
def test_weak_passwords_are_refused_in_italian(password: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_password(password, "mrossi")
    assert info.value.message.startswith(message)


def test_a_long_uncommon_password_passes_and_the_list_is_bundled() -> None:
    check_password("cavallo-batteria-graffetta", "mrossi")
    assert len(common_passwords()) > 5000


def test_an_operator_changes_his_own_password_knowing_the_current_one(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    actor = make_actor("mrossi", Role.VIEWER)
    assert actor.id is not None
    here = open_session(session, actor.id, POLICY)
    elsewhere = open_session(session, actor.id, POLICY)
    with pytest.raises(InvalidInput, match="La password attuale non è corretta"):
        change_own_password(session, actor, "sbagliata", "cavallo-batteria-graffetta", here)
    with pytest.raises(InvalidInput, match="tra le più comuni"):
        change_own_password(session, actor, "password-1234", "password1234", here)
    change_own_password(session, actor, "password-1234", "cavallo-batteria-graffetta", here)
    assert authenticate(session, "mrossi", "password-1234") is None
    assert authenticate(session, "mrossi", "cavallo-batteria-graffetta") is not None
    assert resume(session, here, POLICY) is not None
    assert resume(session, elsewhere, POLICY) is None


def test_an_administrator_resets_a_password_and_ends_the_sessions(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    boss = make_actor("capo", Role.ADMIN)
    actor = make_actor("mrossi", Role.OPERATOR)
    assert actor.id is not None
    token = open_session(session, actor.id, POLICY)
    with pytest.raises(PermissionDenied):
        reset_password(session, actor, "capo", "cavallo-batteria-graffetta")
    reset_password(session, boss, "mrossi", "cavallo-batteria-graffetta")
    assert resume(session, token, POLICY) is None
    assert authenticate(session, "mrossi", "cavallo-batteria-graffetta") is not None


def test_the_cli_never_needs_the_password_on_its_command_line(
    app_env: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    add = ["operator", "add", "mrossi", "--role", "operatore"]
    assert "--password " not in runner.invoke(cli, [*add[:2], "--help"]).output
    prompted = runner.invoke(cli, add, input="cavallo-batteria-1\ncavallo-batteria-1\n")
    assert prompted.exit_code == 0, prompted.output
    weak = runner.invoke(
        cli, ["operator", "password", "mrossi", "--password-stdin"], input="12345678\n"
    )
    assert weak.exit_code == 1
    assert "Password troppo corta" in weak.output
    monkeypatch.setenv("APPIO_OPERATOR_PASSWORD", "cavallo-batteria-2")
    reset = runner.invoke(cli, ["operator", "password", "mrossi"])
    assert reset.exit_code == 0, reset.output
    assert authenticate(session, "mrossi", "cavallo-batteria-2") is not None
