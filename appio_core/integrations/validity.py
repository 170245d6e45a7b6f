"""Whether an integration's key still holds: the one rule, for the API's authentication of a
request (keys.authenticate_key) and for each action an integration takes, checked in the
action's own transaction (accounts.permissions)."""

from __future__ import annotations

from datetime import datetime

REVOKED = "Chiave revocata: chiedi una nuova chiave all'amministratore."
EXPIRED = "Chiave scaduta: chiedi una nuova chiave all'amministratore."


def key_refusal(
    revoked_at: datetime | None, expires_at: datetime | None, now: datetime
) -> str | None:
    """Why the key no longer holds, or None while it does."""
    if revoked_at is not None:
        return REVOKED
    if expires_at is not None and expires_at <= now:
        return EXPIRED
    return None
