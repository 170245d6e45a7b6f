"""Operators: creation rules and signing in."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from appio_core.accounts.operators import (
    admin_exists,
    authenticate,
    create_operator,
    get_operator,
    set_active,
    set_role,
)
from appio_core.accounts.permissions import Actor
from appio_core.domain import Role
from appio_core.errors import Conflict, InvalidInput

INVALID = (
    ("a", "password-123", "operatore", "Nome utente non valido"),
    ("mario rossi", "password-123", "operatore", "Nome utente non valido"),
    ("mrossi", "corta", "operatore", "Password troppo corta: servono almeno 12 caratteri"),
    ("mrossi", "password-123", "capo", "Ruolo «capo» sconosciuto"),
)


@pytest.mark.parametrize(("username", "password", "role", "message"), INVALID)
def test_bad_operator_data_is_refused_in_italian(
    session: Session, admin: Actor, username: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        create_operator(session, admin, username, password, role)
    assert info.value.message.startswith(message)


def test_an_operator_signs_in_with_the_right_password_only(session: Session, admin: Actor) -> None:
    create_operator(session, admin, "MRossi", "password-123", Role.OPERATOR, "Mario Rossi")
    actor = authenticate(session, "mrossi", "password-123")
    assert actor is not None
    assert (actor.username, actor.role, actor.full_name) == ("mrossi", Role.OPERATOR, "Mario Rossi")
    assert authenticate(session, "mrossi", "wrong-password") is None
    assert authenticate(session, "nobody", "password-123") is None


def test_a_deactivated_operator_cannot_sign_in(session: Session, admin: Actor) -> None:
    create_operator(session, admin, "mrossi", "password-123", Role.OPERATOR)
    set_active(session, admin, "mrossi", False)
    assert authenticate(session, "mrossi", "password-123") is None


def test_usernames_are_unique_ignoring_case(session: Session, admin: Actor) -> None:
    create_operator(session, admin, "mrossi", "password-123", Role.OPERATOR)
    with pytest.raises(Conflict, match="Esiste già un operatore «mrossi»"):
        create_operator(session, admin, "MROSSI", "password-123", Role.VIEWER)


def test_admin_exists_once_an_administrator_is_created(session: Session, admin: Actor) -> None:
    assert not admin_exists(session)
    create_operator(session, admin, "capo", "password-123", Role.ADMIN)
    assert admin_exists(session)


def test_an_administrator_cannot_deactivate_himself(session: Session, admin: Actor) -> None:
    capo = Actor.of(create_operator(session, admin, "capo", "password-123", Role.ADMIN))
    create_operator(session, admin, "vice", "password-123", Role.ADMIN)
    with pytest.raises(Conflict, match="Non puoi disattivare te stesso"):
        set_active(session, capo, "capo", False)
    assert authenticate(session, "capo", "password-123") is not None


def test_the_last_active_administrator_cannot_be_deactivated_or_demoted(
    session: Session, admin: Actor
) -> None:
    create_operator(session, admin, "capo", "password-123", Role.ADMIN)
    create_operator(session, admin, "vice", "password-123", Role.ADMIN)
    set_active(session, admin, "vice", False)  # another one is left: allowed
    with pytest.raises(Conflict, match="«capo» è l'ultimo amministratore attivo"):
        set_active(session, admin, "capo", False)
    with pytest.raises(Conflict, match="«capo» è l'ultimo amministratore attivo"):
        set_role(session, admin, "capo", Role.OPERATOR)
    set_active(session, admin, "vice", True)
    set_role(session, admin, "capo", Role.OPERATOR)  # "vice" is still there
    assert get_operator(session, "capo").role == Role.OPERATOR


def test_operators_who_are_not_administrators_can_always_be_deactivated(
    session: Session, admin: Actor
) -> None:
    create_operator(session, admin, "mrossi", "password-123", Role.OPERATOR)
    set_active(session, admin, "mrossi", False)
    set_role(session, admin, "mrossi", "consultazione")
    assert get_operator(session, "mrossi").role == Role.VIEWER
    with pytest.raises(InvalidInput, match="Ruolo «capo» sconosciuto"):
        set_role(session, admin, "mrossi", "capo")
