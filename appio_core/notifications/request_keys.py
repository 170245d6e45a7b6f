"""Request keys: a request repeated with its key finds the first one's notification instead
of sending again (a double click on «Aggiungi», a script run again after a crash).

A key belongs to its author: two operators may use the same one, each for his own message.
It is stored with the fingerprint of what was asked, as checked (so that «1.234,56» and
«1234,56» are one amount): the service, the codice fiscale, subject, text and the payment
data. The same key with the same fingerprint is a repeat: the first notification answers,
whatever its outcome. With another fingerprint the key was already used for another
message: refused, nothing registered, nothing sent.

The same rule serves every way in: the form, `appio notification send --request-key`, and
the HTTP API's `Idempotency-Key` (same key and body: the first answer; another body: 422).
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.content import cta
from appio_core.domain import FeatureLevel
from appio_core.errors import InvalidInput
from appio_core.notifications.content import CheckedContent
from appio_core.storage.models import Notification

REQUEST_KEY_LENGTH = 64  # the column's
# Part of every fingerprint: a change of what it covers makes old keys refuse new requests
# (never a new request taken for an old one).
FINGERPRINT_VERSION = 1

BAD_KEY = (
    f"La chiave di richiesta deve avere da 1 a {REQUEST_KEY_LENGTH} caratteri, senza spazi né"
    " lettere accentate (ad esempio un UUID)."
)


class RequestKeyReused(InvalidInput):
    """The key was used by the same author for another message; nothing was sent."""

    code = "chiave_richiesta_usata"

    def __init__(self, notification_id: int) -> None:
        super().__init__(
            "La chiave di richiesta è già stata usata per un altro messaggio (notifica n."
            f" {notification_id}): questo messaggio non è stato inviato. Per inviarlo usa una"
            " chiave nuova: nella pagina premi «Nuova notifica», dalla riga di comando cambia"
            " --request-key."
        )
        self.notification_id = notification_id


def check_request_key(key: str) -> str:
    """The key as stored: 1-64 visible ASCII characters (surrounding spaces dropped)."""
    key = key.strip()
    if not 0 < len(key) <= REQUEST_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise InvalidInput(BAD_KEY)
    return key


def request_fingerprint(
    service_id: int,
    content: CheckedContent,
    feature_level: FeatureLevel,
    *,
    corrects: int | None = None,
) -> str:
    """SHA-256 of what a request asks to send, in its checked form (hex, 64 characters).
    A correction («Rettifica») names the notification it corrects too; a plain message's
    fingerprint is as it always was."""
    asked = [
        FINGERPRINT_VERSION,
        service_id,
        content.fiscal_code,
        content.subject,
        content.markdown,
        content.amount,
        content.notice_number,
        content.due_date,
        feature_level.value,
    ]
    if content.buttons or content.secure_channel:
        # Added only when used, so that the fingerprints kept before stay the same.
        asked += [cta.to_json(content.buttons), content.secure_channel]
    if corrects is not None:
        asked.append({"rettifica_di": corrects})
    canonical = json.dumps(asked, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def find_repeat(session: Session, author: str, key: str, fingerprint: str) -> Notification | None:
    """The notification `author` registered under `key` when this request repeats it; None
    when the key is new. RequestKeyReused when the key carried another message (or one whose
    fingerprint is unknown: a row registered before fingerprints were kept)."""
    # Two columns first: a new key (the usual case) reads no row.
    earlier = session.execute(
        select(Notification.id, Notification.request_fingerprint).where(
            Notification.created_by == author, Notification.request_key == key
        )
    ).first()
    if earlier is None:
        return None
    if earlier.request_fingerprint != fingerprint:
        raise RequestKeyReused(earlier.id)
    return session.get(Notification, earlier.id)
