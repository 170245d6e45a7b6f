"""Operators: accounts of the people who use IO Flussi, and signing in."""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, require_admin
from appio_core.accounts.security import hash_password, verify_password
from appio_core.domain import Role
from appio_core.errors import Conflict, InvalidInput, NotFound
from appio_core.storage.models import Operator

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 8


def admin_exists(session: Session) -> bool:
    stmt = select(func.count()).select_from(Operator).where(Operator.role == Role.ADMIN)
    return (session.scalar(stmt) or 0) > 0


def create_operator(
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    role: Role | str,
    full_name: str = "",
) -> Operator:
    require_admin(actor)
    username = username.strip().lower()
    if not USERNAME_RE.fullmatch(username):
        raise InvalidInput(
            "Nome utente non valido: usa da 2 a 64 caratteri tra lettere minuscole, cifre, "
            "punto, trattino e trattino basso."
        )
    role = _role(role)
    _check_password(password)
    if session.scalar(select(Operator).where(Operator.username == username)):
        raise Conflict(f"Esiste già un operatore «{username}».")
    operator = Operator(
        username=username,
        full_name=full_name.strip(),
        role=role,
        password_hash=hash_password(password),
        active=True,
    )
    session.add(operator)
    session.flush()
    return operator


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Ruolo «{role}» sconosciuto: scegli tra {roles}.") from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"Password troppo corta: servono almeno {MIN_PASSWORD_LENGTH} caratteri."
        )


def list_operators(session: Session, actor: Actor) -> list[Operator]:
    require_admin(actor)
    return list(session.scalars(select(Operator).order_by(Operator.username)))


def get_operator(session: Session, username: str) -> Operator:
    operator = session.scalar(select(Operator).where(Operator.username == username.lower()))
    if operator is None:
        raise NotFound(f"Nessun operatore «{username}».")
    return operator


def set_active(session: Session, actor: Actor, username: str, active: bool) -> None:
    require_admin(actor)
    operator = get_operator(session, username)
    if not active:
        if operator.username == actor.username:
            raise Conflict("Non puoi disattivare te stesso: chiedi a un altro amministratore.")
        _keep_an_administrator(session, operator)
    operator.active = active


def set_role(session: Session, actor: Actor, username: str, role: Role | str) -> None:
    require_admin(actor)
    operator = get_operator(session, username)
    new_role = _role(role)
    if operator.role == Role.ADMIN and new_role != Role.ADMIN:
        _keep_an_administrator(session, operator)
    operator.role = new_role


def _keep_an_administrator(session: Session, leaving: Operator) -> None:
    """Refuses to take away the last active administrator: nobody could manage the
    operators and services any more (only `appio operator add` on the server could)."""
    if leaving.role != Role.ADMIN or not leaving.active:
        return
    others = session.scalar(
        select(func.count())
        .select_from(Operator)
        .where(Operator.role == Role.ADMIN, Operator.active.is_(True), Operator.id != leaving.id)
    )
    if not others:
        raise Conflict(
            f"«{leaving.username}» è l'ultimo amministratore attivo: nomina prima un altro "
            "amministratore."
        )


def authenticate(session: Session, username: str, password: str) -> Actor | None:
    """The operator's identity when the credentials are right and the account active."""
    operator = session.scalar(select(Operator).where(Operator.username == username.strip().lower()))
    if operator is None or not operator.active:
        # Still hash once so that a wrong username costs the same time as a wrong password.
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(operator.password_hash, password):
        return None
    return Actor.of(operator)


@cache
def _dummy_hash() -> str:
    # Computed on first use: hashing at import time would slow every `appio` command.
    return hash_password("not-a-real-password")
