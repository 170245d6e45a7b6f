"""Who may do what. Every core action checks here; pages only hide what would be refused.

- amministratore: everything, on every service (operators, services, keys, sending);
- operatore: reads, composes and sends on the services enabled for them;
- consultazione: reads the services enabled for them, changes nothing.

Every check reads the operator's role and state from the database (`current_role`), never
from the `Actor` kept since his login: `Actor.is_admin` and `Actor.can_send` only tell a
page what to hide. What it read is kept for the rest of the same transaction (an action
checks a role and its services several times), never beyond: the next action reads again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from appio_core.domain import Role
from appio_core.errors import PermissionDenied, Unauthorized
from appio_core.storage.models import Operator, service_operators, utcnow

# The installation acting by itself, in `created_by` and the audit log: `appio` without
# --as, and the worker. No operator may be named so.
SYSTEM_USERNAME = "appio-cli"
WORKER_USERNAME = "appio-worker"
RESERVED_USERNAMES = frozenset({SYSTEM_USERNAME, WORKER_USERNAME})
INTEGRATION_PREFIX = "api:"

# The roles that may change something: send, resend, mark as sent, read IO's status into
# the archive, prepare a flow. «Consultazione» reads only.
SENDING_ROLES = frozenset({Role.ADMIN, Role.OPERATOR})

_READ = "appio.permissions"  # session.info: what this transaction read, by (kind, actor)
T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """The operator acting, as a plain value (kept in Streamlit's session state)."""

    id: int | None
    username: str
    full_name: str
    role: Role
    # Where the operator acts from, for the audit log: the browser's address (when known),
    # or «riga di comando: user@host». Not part of who he is.
    origin: str | None = field(default=None, compare=False)
    # An integration calling the API (appio_core.integrations): an «operatore» on its
    # services alone, while its key is neither revoked nor expired.
    integration_id: int | None = None

    @classmethod
    def of(cls, operator: Operator, origin: str | None = None) -> Actor:
        return cls(operator.id, operator.username, operator.full_name, Role(operator.role), origin)

    @classmethod
    def system(cls, origin: str | None = None) -> Actor:
        """The installation itself: `appio` run without --as (IT staff with access to the
        machine act as an administrator) and the worker. The audit log says so."""
        return cls(None, SYSTEM_USERNAME, "Riga di comando", Role.ADMIN, origin)

    @classmethod
    def of_integration(cls, integration_id: int, name: str, origin: str | None = None) -> Actor:
        """An integration, named in `created_by` and the audit log «api:NAME» (no operator
        can be: a username has no colon)."""
        return cls(None, f"{INTEGRATION_PREFIX}{name}", name, Role.OPERATOR, origin, integration_id)

    @classmethod
    def worker(cls, origin: str | None = None) -> Actor:
        """The worker's own chores (the daily purge of personal data)."""
        return cls(None, WORKER_USERNAME, "Worker", Role.ADMIN, origin)

    # The role at login, for pages to hide what the core would refuse; the core itself
    # asks the database (current_role).
    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_send(self) -> bool:
        return self.role in SENDING_ROLES


def _once_per_transaction(session: Session, kind: str, actor: Actor, read: Callable[[], T]) -> T:
    """`read()`, or what it gave earlier in this same transaction, unless the transaction
    has changed something since (an administrator's role changed, then his next check)."""
    if session.new or session.dirty or session.deleted:
        return read()
    known: dict[tuple[str, Actor], Any] = session.info.get(_READ, {})
    if (kind, actor) in known:
        result: T = known[kind, actor]
        return result
    result = read()
    if session.in_transaction():  # the read began it, if none was under way
        session.info.setdefault(_READ, {})[kind, actor] = result
    return result


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_READ, None)


@event.listens_for(Session, "after_flush")
def _forget_after_a_write(session: Session, _context: Any) -> None:
    session.info.pop(_READ, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_before_a_statement_that_writes(execute: ORMExecuteState) -> None:
    if execute.is_insert or execute.is_update or execute.is_delete:
        execute.session.info.pop(_READ, None)


def current_role(session: Session, actor: Actor) -> Role:
    """The actor's role as the database has it now, not as it was at his login: a role
    changed or an account disabled counts from his next action. The installation itself
    (the CLI without --as, the worker) has no row and keeps its role; an integration is an
    «operatore» while its key holds."""
    return _once_per_transaction(session, "role", actor, lambda: _role_now(session, actor))


def _role_now(session: Session, actor: Actor) -> Role:
    if actor.integration_id is not None:
        return _integration_now(session, actor)[0]
    if actor.id is None:
        return actor.role
    operator = session.get(Operator, actor.id)
    if operator is None or not operator.active:
        raise PermissionDenied(
            "Il tuo account è stato disattivato: non puoi più operare. Se è un errore, chiedi"
            " a un amministratore."
        )
    return Role(operator.role)


def require_admin(
    session: Session, actor: Actor, doing: str = "eseguire questa operazione"
) -> None:
    """The one check of every administrator's action (operators, services, keys, the audit
    log, the system's status, the purge): the role the database has now. `doing` completes
    the refusal: «Solo un amministratore può <doing>.»"""
    if current_role(session, actor) != Role.ADMIN:
        raise PermissionDenied(f"Solo un amministratore può {doing}.")


def enabled_service_ids(session: Session, actor: Actor) -> frozenset[int] | None:
    """The services the actor may see; None means all of them (administrators)."""
    return _once_per_transaction(session, "services", actor, lambda: _services_now(session, actor))


def _services_now(session: Session, actor: Actor) -> frozenset[int] | None:
    if current_role(session, actor) == Role.ADMIN:
        return None
    if actor.integration_id is not None:
        return _integration_now(session, actor)[1]
    rows = session.scalars(
        select(service_operators.c.service_id).where(service_operators.c.operator_id == actor.id)
    )
    return frozenset(rows)


def require_service_read(session: Session, actor: Actor, service_id: int) -> None:
    allowed = enabled_service_ids(session, actor)
    if allowed is not None and service_id not in allowed:
        raise PermissionDenied("Non sei abilitato a questo servizio.")


def require_service_send(
    session: Session, actor: Actor, service_id: int, doing: str = "inviare messaggi"
) -> None:
    """Any change on a service's flows and messages: a role that changes things, enabled on
    the service. `doing` completes the refusal of a «consultazione» operator."""
    if current_role(session, actor) not in SENDING_ROLES:
        raise PermissionDenied(f"Il tuo profilo è di sola consultazione: non puoi {doing}.")
    require_service_read(session, actor, service_id)


def _integration_now(session: Session, actor: Actor) -> tuple[Role, frozenset[int]]:
    """An integration's role (an «operatore» while its key is neither revoked nor expired)
    and its services, in one read."""
    return _once_per_transaction(
        session, "integration", actor, lambda: _integration_read(session, actor)
    )


@functools.cache
def _integration_statement() -> Select[tuple[datetime | None, datetime | None, int | None]]:
    """An integration's validity and services, built once (each API request reads them):
    building and hashing a statement anew costs more than running it. Imported here: only
    the API acts as an integration, and a process that never does (`appio flow status` in a
    script's loop) then neither declares nor configures its model."""
    from appio_core.integrations.models import Integration, integration_services

    return (
        select(Integration.revoked_at, Integration.expires_at, integration_services.c.service_id)
        .outerjoin(integration_services, integration_services.c.integration_id == Integration.id)
        .where(Integration.id == bindparam("id"))
    )


def _integration_read(session: Session, actor: Actor) -> tuple[Role, frozenset[int]]:
    from appio_core.integrations.validity import key_refusal

    rows = session.execute(_integration_statement(), {"id": actor.integration_id}).all()
    key = rows[0] if rows else None  # each row repeats the integration's own columns
    refusal = (
        "Chiave non valida."
        if key is None
        else key_refusal(key.revoked_at, key.expires_at, utcnow())
    )
    if refusal is not None:
        # 401 from the API, as when the request's key is checked: the API knows a valid key
        # for a while without reading it again (api/context.py), so this is where a key
        # revoked meanwhile is refused.
        raise Unauthorized(refusal)
    return Role.OPERATOR, frozenset(row.service_id for row in rows if row.service_id is not None)
