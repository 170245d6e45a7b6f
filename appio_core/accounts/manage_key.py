"""The ente's IO *manage* key: with it the app lists the ente's services on IO, reads their
keys and regenerates them («Importa da IO», «Rigenera chiavi»). One per installation, as IO
gives one per ente; kept like the services' keys: encrypted with APPIO_SECRET_KEY,
write-only, shown as ••••1234. Without it everything works as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, require_admin
from appio_core.accounts.security import KeyBox, KeyUnreadable, last4, masked
from appio_core.audit import AuditAction, recording
from appio_core.errors import Conflict, InvalidInput
from appio_core.storage.models import utcnow
from appio_core.storage.runtime_models import Institution

INSTITUTION_ID = 1
# The same shape as the services' keys (appio_core.accounts.services.API_KEY_RE).
_KEY_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
NO_MANAGE_KEY = (
    "Manca la chiave di gestione (manage) dell'ente: un amministratore la inserisce nella"
    " pagina Servizi («Chiave di gestione IO») o con «appio io manage-key»; la trova"
    " nell'Area riservata di IO, sezione Chiavi API."
)


@dataclass(frozen=True)
class ManageKeyView:
    """The manage key as shown to people: masked, with who set it and when."""

    masked: str
    set_at: datetime | None
    set_by: str | None


def _institution(session: Session) -> Institution | None:
    return session.get(Institution, INSTITUTION_ID)


def manage_key_view(session: Session) -> ManageKeyView | None:
    """None when no manage key is set."""
    found = _institution(session)
    if found is None or not found.manage_key_encrypted:
        return None
    return ManageKeyView(
        masked(found.manage_key_last4), found.manage_key_set_at, found.manage_key_set_by
    )


def set_manage_key(session: Session, actor: Actor, key: str, box: KeyBox) -> ManageKeyView:
    """Stores the ente's manage key (replacing the one before), encrypted."""
    with recording(
        session, actor, AuditAction.SERVICE_MANAGE_KEY, "chiave di gestione IO dell'ente"
    ) as entry:
        require_admin(session, actor)
        key = key.strip()
        if not 8 <= len(key) <= 200 or not set(key) <= _KEY_CHARACTERS:
            raise InvalidInput(
                "Chiave di gestione non valida: copiala per intero dall'Area riservata di IO,"
                " senza spazi (almeno 8 caratteri tra lettere, cifre, - e _)."
            )
        found = _institution(session)
        if found is None:
            found = Institution(id=INSTITUTION_ID)
            session.add(found)
        entry.detail = "Chiave sostituita." if found.manage_key_encrypted else "Chiave impostata."
        found.manage_key_encrypted = box.seal(key)
        found.manage_key_last4 = last4(key)
        found.manage_key_set_at = utcnow()
        found.manage_key_set_by = actor.username
        session.flush()
        view = manage_key_view(session)
        assert view is not None
        return view


def open_manage_key(session: Session, actor: Actor, box: KeyBox) -> str:
    """The manage key in clear, to call IO; only for administrators. Conflict when none."""
    require_admin(session, actor)
    found = _institution(session)
    if found is None or not found.manage_key_encrypted:
        raise Conflict(NO_MANAGE_KEY)
    return box.open(found.manage_key_encrypted)


def rotate_manage_key(session: Session, box: KeyBox) -> int:
    """The manage key encrypted with the first secret key (`appio keys rotate`): 1, or 0
    when none is set."""
    found = _institution(session)
    if found is None or not found.manage_key_encrypted:
        return 0
    try:
        found.manage_key_encrypted = box.rotate(found.manage_key_encrypted)
    except KeyUnreadable:
        raise KeyUnreadable(
            "La chiave di gestione (manage) dell'ente non si apre con nessuna delle chiavi in"
            " APPIO_SECRET_KEY: aggiungi la chiave segreta con cui era stata salvata. Nessuna"
            " chiave è stata cambiata."
        ) from None
    return 1
