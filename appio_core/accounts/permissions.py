"""Who may do what. Every core action checks here; pages only hide what would be refused.

- amministratore: everything, on every service (operators, services, keys, sending);
- operatore: reads, composes and sends on the services enabled for them;
- consultazione: reads the services enabled for them, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.domain import Role
from appio_core.errors import PermissionDenied
from appio_core.storage.models import Operator, service_operators


@dataclass(frozen=True)
class Actor:
    """The operator acting, as a plain value (kept in Streamlit's session state)."""

    id: int | None
    username: str
    full_name: str
    role: Role

    @classmethod
    def of(cls, operator: Operator) -> Actor:
        return cls(operator.id, operator.username, operator.full_name, Role(operator.role))

    @classmethod
    def system(cls) -> Actor:
        """The `appio` CLI: IT staff with access to the machine act as an administrator."""
        return cls(None, "appio-cli", "Riga di comando", Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_send(self) -> bool:
        return self.role in (Role.ADMIN, Role.OPERATOR)


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Solo un amministratore può eseguire questa operazione.")


def enabled_service_ids(session: Session, actor: Actor) -> set[int] | None:
    """The services the actor may see; None means all of them (administrators)."""
    if actor.is_admin:
        return None
    rows = session.scalars(
        select(service_operators.c.service_id).where(service_operators.c.operator_id == actor.id)
    )
    return set(rows)


def require_service_read(session: Session, actor: Actor, service_id: int) -> None:
    allowed = enabled_service_ids(session, actor)
    if allowed is not None and service_id not in allowed:
        raise PermissionDenied("Non sei abilitato a questo servizio.")


def require_service_send(session: Session, actor: Actor, service_id: int) -> None:
    if not actor.can_send:
        raise PermissionDenied("Il tuo profilo è di sola consultazione: non puoi inviare messaggi.")
    require_service_read(session, actor, service_id)
