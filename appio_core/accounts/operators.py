"""Operators: accounts of the people who use IO Flussi, and signing in."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.passwords import check_password
from appio_core.accounts.permissions import RESERVED_USERNAMES, Actor, require_admin
from appio_core.accounts.security import hash_password, verify_password
from appio_core.accounts.sessions import revoke_all
from appio_core.accounts.sso import normalised_email
from appio_core.accounts.throttle import (
    LoginLocked,
    ThrottlePolicy,
    count_failure,
    delay_seconds,
    forget_failures,
    lock_message,
    locked_until,
)
from appio_core.audit import AuditAction, Named, record, record_refusal, recording
from appio_core.domain import ROLE_LABELS, Role
from appio_core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from appio_core.storage.models import Operator, utcnow

DEFAULT_THROTTLE = ThrottlePolicy()
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


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
    username = username.strip().lower()
    with recording(session, actor, AuditAction.OPERATOR_CREATE, _target(username)) as entry:
        require_admin(session, actor)
        if not USERNAME_RE.fullmatch(username):
            raise InvalidInput(
                "Nome utente non valido: usa da 2 a 64 caratteri tra lettere minuscole, cifre, "
                "punto, trattino e trattino basso."
            )
        if username in RESERVED_USERNAMES:
            raise InvalidInput(
                f"Il nome utente «{username}» è riservato all'installazione: scegline un altro."
            )
        role = _role(role)
        entry.detail = f"Ruolo: {ROLE_LABELS[role]}."
        check_password(password, username)
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


def _target(username: str) -> str:
    return f"operatore «{username}»"


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Ruolo «{role}» sconosciuto: scegli tra {roles}.") from None


def list_operators(session: Session, actor: Actor) -> list[Operator]:
    require_admin(session, actor)
    return list(session.scalars(select(Operator).order_by(Operator.username)))


def get_operator(session: Session, username: str) -> Operator:
    operator = session.scalar(select(Operator).where(Operator.username == username.lower()))
    if operator is None:
        raise NotFound(f"Nessun operatore «{username}».")
    return operator


def set_active(session: Session, actor: Actor, username: str, active: bool) -> None:
    action = AuditAction.OPERATOR_ACTIVATE if active else AuditAction.OPERATOR_DEACTIVATE
    with recording(session, actor, action, _target(username.strip().lower())) as entry:
        require_admin(session, actor)
        operator = get_operator(session, username)
        if not active:
            if operator.username == actor.username:
                raise Conflict("Non puoi disattivare te stesso: chiedi a un altro amministratore.")
            _keep_an_administrator(session, operator)
        if operator.active == active:
            entry.detail = "Nessun cambiamento: lo era già."
        operator.active = active
        if not active:
            # Signed out everywhere: his next click finds the login.
            ended = revoke_all(session, operator.id)
            if ended:
                entry.detail = f"Sessioni chiuse: {ended}."


def set_role(session: Session, actor: Actor, username: str, role: Role | str) -> None:
    with recording(
        session, actor, AuditAction.OPERATOR_ROLE, _target(username.strip().lower())
    ) as entry:
        require_admin(session, actor)
        operator = get_operator(session, username)
        new_role = _role(role)
        entry.detail = f"Da {ROLE_LABELS[operator.role]} a {ROLE_LABELS[new_role]}."
        if operator.role == Role.ADMIN and new_role != Role.ADMIN:
            _keep_an_administrator(session, operator)
        operator.role = new_role


def change_own_password(
    session: Session, actor: Actor, current: str, new: str, keep_session: str | None = None
) -> None:
    """«Il mio account»: the operator changes his own password, knowing the current one.
    His other sessions end (someone who knew the old password is signed out), not the one
    he is using (`keep_session`, its token)."""
    with recording(session, actor, AuditAction.OPERATOR_PASSWORD, _target(actor.username)):
        operator = session.get(Operator, actor.id) if actor.id is not None else None
        if operator is None or not operator.active:
            raise PermissionDenied("Solo un operatore attivo può cambiare la propria password.")
        if not verify_password(operator.password_hash, current):
            raise InvalidInput("La password attuale non è corretta.")
        if new == current:
            raise InvalidInput("La nuova password deve essere diversa da quella attuale.")
        check_password(new, operator.username)
        operator.password_hash = hash_password(new)
        revoke_all(session, operator.id, keep=keep_session)


def set_email(session: Session, actor: Actor, username: str, email: str) -> None:
    """The address by which single sign-on names the operator; empty removes it."""
    name = username.strip().lower()
    with recording(session, actor, AuditAction.OPERATOR_EMAIL, _target(name)) as entry:
        require_admin(session, actor)
        operator = get_operator(session, name)
        address = normalised_email(email) if email.strip() else None
        if address is not None:
            other = session.scalar(
                select(Operator).where(
                    func.lower(Operator.email) == address, Operator.id != operator.id
                )
            )
            if other is not None:
                raise Conflict(f"L'indirizzo «{address}» è già dell'operatore «{other.username}».")
        entry.detail = f"Indirizzo: {address}." if address else "Indirizzo rimosso."
        operator.email = address


def reset_password(session: Session, actor: Actor, username: str, new: str) -> None:
    """An administrator sets a new password for an operator who forgot his (or when one
    may have leaked): every session of that operator ends."""
    name = username.strip().lower()
    with recording(session, actor, AuditAction.OPERATOR_PASSWORD_RESET, _target(name)) as entry:
        require_admin(session, actor)
        operator = get_operator(session, name)
        check_password(new, operator.username)
        operator.password_hash = hash_password(new)
        ended = revoke_all(session, operator.id)
        if ended:
            entry.detail = f"Sessioni chiuse: {ended}."


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


def authenticate(
    session: Session,
    username: str,
    password: str,
    origin: str | None = None,
    *,
    throttle: ThrottlePolicy = DEFAULT_THROTTLE,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
) -> Actor | None:
    """The operator's identity when the credentials are right and the account active.

    Failed attempts in a row slow the next ones down, then lock the username (and, many
    more, the address) for a while: LoginLocked, whatever the password. Every attempt is
    in the audit log, from `origin` (the browser's address) when known; a failed one even
    when the caller's transaction rolls back."""
    name = username.strip().lower()
    now = now or utcnow()
    until = locked_until(session, name, origin, now)
    if until is not None:
        _login_refused(session, name, origin, "Accesso bloccato: troppi tentativi falliti.")
        raise LoginLocked(lock_message(until, now))
    delay = delay_seconds(session, name, now, throttle)
    if delay:
        sleep(delay)
    operator = session.scalar(select(Operator).where(Operator.username == name))
    if operator is None or not operator.active:
        # Still hash once so that a wrong username costs the same time as a wrong password.
        verify_password(_dummy_hash(), password)
        reason = "Nome utente sconosciuto." if operator is None else "Operatore disattivato."
        _login_failed(session, name, origin, reason, now, throttle)
        return None
    if not verify_password(operator.password_hash, password):
        _login_failed(session, name, origin, "Password errata.", now, throttle)
        return None
    forget_failures(session, name)
    actor = Actor.of(operator, origin)
    record(session, actor, AuditAction.LOGIN, _target(actor.username))
    return actor


def _login_failed(
    session: Session,
    name: str,
    origin: str | None,
    reason: str,
    now: datetime,
    throttle: ThrottlePolicy,
) -> None:
    locks = count_failure(session, name, origin, now, throttle)
    _login_refused(session, name, origin, " ".join([reason, *locks]))


def _login_refused(session: Session, name: str, origin: str | None, reason: str) -> None:
    # Only a name that could be a username is written as typed: a password typed in the
    # wrong field must not end up in the log.
    shown = name if USERNAME_RE.fullmatch(name) else "(nome non valido)"
    record_refusal(session, Named(shown, origin), AuditAction.LOGIN, _target(shown), detail=reason)


def logout(session: Session, actor: Actor) -> None:
    """Records that the operator signed out (his session lives in the browser)."""
    record(session, actor, AuditAction.LOGOUT, _target(actor.username))


@cache
def _dummy_hash() -> str:
    # Computed on first use: hashing at import time would slow every `appio` command.
    return hash_password("not-a-real-password")
