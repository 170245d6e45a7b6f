"""The services' IO keys: sealed at rest, opened in the order the app uses them, re-sealed
when the installation's secret key changes.

The order: the primary first, unless a regeneration of the keys has switched the service
to its secondary (`secondary_first`, appio_core.accounts.key_regeneration), so that no
request uses a key IO is about to replace. `ApiKeys.primary` is the key tried first.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from appio_core.accounts.manage_key import rotate_manage_key
from appio_core.accounts.permissions import Actor, require_admin, require_service_read
from appio_core.accounts.security import KeyBox, KeyUnreadable, last4
from appio_core.audit import AuditAction, recording
from appio_core.errors import NotFound
from appio_core.io.models import ApiKeys
from appio_core.storage.db import Executor
from appio_core.storage.models import Service

# The keys as a worker reads them for a batch, under a share lock of the service's row on
# PostgreSQL (SQLite ignores it: its writers take turns anyway): the switch of a
# regeneration, an UPDATE of that row, waits for the claims reading the keys before it to
# commit, so that their rows are «in invio» when it looks for the sends under way.
_KEYS_NOW = (
    select(Service.primary_key_encrypted, Service.secondary_key_encrypted, Service.secondary_first)
    .where(Service.id == bindparam("b_service_id"))
    .with_for_update(read=True)
)


def seal_keys(service: Service, primary: str | None, secondary: str | None, box: KeyBox) -> None:
    """Stores the keys given (None keeps the stored one) encrypted, with their last 4
    characters in clear for display."""
    if primary:
        service.primary_key_encrypted = box.seal(primary)
        service.primary_key_last4 = last4(primary)
    if secondary:
        service.secondary_key_encrypted = box.seal(secondary)
        service.secondary_key_last4 = last4(secondary)


def _in_order(box: KeyBox, primary: str, secondary: str | None, secondary_first: bool) -> ApiKeys:
    keys = ApiKeys(box.open(primary), box.open(secondary) if secondary else None)
    if secondary_first and keys.secondary:
        return ApiKeys(keys.secondary, keys.primary)
    return keys


def open_keys(service: Service, box: KeyBox) -> ApiKeys:
    """The service's keys in clear, in the order to try them; the caller has checked who
    asks."""
    return _in_order(
        box, service.primary_key_encrypted, service.secondary_key_encrypted, service.secondary_first
    )


def keys_for_sending(db: Executor, service_id: int, box: KeyBox) -> ApiKeys:
    """The keys a worker sends a batch with, read under the service's share lock (above)."""
    primary, secondary, secondary_first = db.execute(_KEYS_NOW, {"b_service_id": service_id}).one()
    return _in_order(box, primary, secondary, secondary_first)


def api_keys(session: Session, actor: Actor, service_id: int, box: KeyBox) -> ApiKeys:
    """The keys in clear, for calling IO on the actor's behalf; never for display."""
    service = session.get(Service, service_id)
    if service is None:
        raise NotFound("Servizio non trovato.")
    require_service_read(session, actor, service.id)
    return open_keys(service, box)


def rotate_keys(session: Session, actor: Actor, box: KeyBox) -> int:
    """Re-encrypts every stored key (the services' and the ente's manage key) with the first
    of the secret keys; returns how many.

    All or nothing: a key that none of the secret keys opens stops the rotation (the
    caller's transaction rolls back), so that no key is left behind on an old secret."""
    with recording(session, actor, AuditAction.KEYS_ROTATE, "chiavi di tutti i servizi") as entry:
        require_admin(session, actor)
        rotated = 0
        for service in session.scalars(select(Service).order_by(Service.id)):
            try:
                service.primary_key_encrypted = box.rotate(service.primary_key_encrypted)
                if service.secondary_key_encrypted:
                    service.secondary_key_encrypted = box.rotate(service.secondary_key_encrypted)
            except KeyUnreadable:
                raise KeyUnreadable(
                    f"Le chiavi del servizio «{service.name}» non si aprono con nessuna delle"
                    " chiavi in APPIO_SECRET_KEY: aggiungi la chiave segreta con cui erano state"
                    " salvate. Nessuna chiave è stata cambiata."
                ) from None
            rotated += 1 + bool(service.secondary_key_encrypted)
        rotated += rotate_manage_key(session, box)
        session.flush()
        entry.detail = f"{rotated} chiavi cifrate con la prima chiave segreta."
        return rotated
