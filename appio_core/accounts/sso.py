"""Single sign-on (OpenID Connect, issue #12): the identity provider vouches for an e-mail
address; the operator with that address, who must exist and be active, is signed in.

Nobody is created by signing in: an administrator gives each operator his address on
*Operatori*. Local passwords keep working beside it."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.audit import AuditAction, Named, record, record_refusal
from appio_core.errors import InvalidInput
from appio_core.storage.models import Operator

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,63}$")


def normalised_email(email: str) -> str:
    """The address as kept and compared: trimmed, lower case (providers differ on case)."""
    address = email.strip().lower()
    if not EMAIL_RE.fullmatch(address):
        raise InvalidInput(f"Indirizzo e-mail «{email.strip()}» non valido.")
    return address


def sign_in_by_email(session: Session, email: str | None, origin: str | None) -> Actor | None:
    """The active operator the provider's e-mail claim names, or None; in the audit log."""
    address = (email or "").strip().lower()
    operator = (
        session.scalar(select(Operator).where(func.lower(Operator.email) == address))
        if address
        else None
    )
    if operator is None or not operator.active:
        reason = (
            "Il fornitore di identità non ha indicato un indirizzo e-mail."
            if not address
            else "Nessun operatore con questo indirizzo e-mail."
            if operator is None
            else "Operatore disattivato."
        )
        shown = operator.username if operator is not None else "(single sign-on)"
        record_refusal(
            session,
            Named(shown, origin),
            AuditAction.LOGIN,
            f"single sign-on «{address[:200]}»" if address else "single sign-on",
            detail=reason,
        )
        return None
    actor = Actor.of(operator, origin)
    record(
        session,
        actor,
        AuditAction.LOGIN,
        f"operatore «{operator.username}»",
        detail=f"Con single sign-on ({address}).",
    )
    return actor
