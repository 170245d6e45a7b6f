"""Integrations' keys: created (shown once), listed, revoked, and checked at each request.

A key is «appio_» and 256 random bits; the database keeps its SHA-256 (a lookup per
request, as for the web sessions' tokens) and its first characters, to recognise it on the
page. The webhook secret follows the Standard Webhooks form («whsec_» and base64), sealed
with the installation's secret key like IO's keys, since the worker needs it to sign.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, require_admin
from appio_core.accounts.security import KeyBox
from appio_core.audit import AuditAction, Named, record, record_refusal, recording
from appio_core.errors import InvalidInput, NotFound, PermissionDenied, Unauthorized
from appio_core.integrations.models import NAME_LENGTH, URL_LENGTH, Integration
from appio_core.integrations.models import integration_services as links
from appio_core.integrations.scopes import ALL_SCOPES, Scope, parse_scopes, store_scopes
from appio_core.integrations.validity import key_refusal
from appio_core.storage.models import Service, utcnow

KEY_PREFIX = "appio_"
SECRET_PREFIX = "whsec_"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
# The last use is written at most this often: not a write per request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewIntegration:
    name: str
    service_ids: tuple[int, ...]
    scopes: frozenset[Scope] = ALL_SCOPES
    webhook_url: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class CreatedIntegration:
    """What is shown once: the key, and the webhook secret when a URL was given."""

    id: int
    name: str
    key: str
    webhook_secret: str | None


@dataclass(frozen=True)
class IntegrationView:
    id: int
    name: str
    services: tuple[str, ...]
    scopes: frozenset[Scope]
    key_hint: str
    webhook_url: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_by: str
    created_at: datetime

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > utcnow())

    @property
    def state(self) -> str:
        """«attiva», «revocata» or «scaduta»: what the page and `appio integration list` say."""
        if self.revoked_at is not None:
            return "revocata"
        return "attiva" if self.active else "scaduta"


@dataclass(frozen=True)
class Caller:
    """Who a valid key belongs to, as the API acts with it."""

    actor: Actor
    integration_id: int
    scopes: frozenset[Scope]
    expires_at: datetime | None = None  # the key's expiry, if it has one


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_webhook_url(url: str) -> str:
    """An http(s) address with a host; anything else is refused in Italian."""
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > URL_LENGTH or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            "L'indirizzo del webhook deve essere un URL http:// o https:// completo (massimo"
            f" {URL_LENGTH} caratteri), per esempio https://tributi.comune.it/io-flussi."
        )
    return url


def _check(session: Session, data: NewIntegration) -> None:
    name = data.name.strip()
    if not name or len(name) > NAME_LENGTH or not NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"Il nome dell'integrazione deve avere da 1 a {NAME_LENGTH} caratteri: lettere,"
            " cifre, spazi, punti, trattini."
        )
    if session.scalar(select(Integration.id).where(Integration.name == name)) is not None:
        raise InvalidInput(f"Esiste già un'integrazione di nome «{name}»: scegline un altro.")
    if not data.service_ids:
        raise InvalidInput("Indica almeno un servizio che l'integrazione può usare.")
    found = set(session.scalars(select(Service.id).where(Service.id.in_(data.service_ids))))
    if found != set(data.service_ids):
        raise InvalidInput("Uno dei servizi indicati non esiste.")
    if not data.scopes:
        raise InvalidInput("Indica almeno un permesso dell'integrazione.")
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise InvalidInput("La data di scadenza della chiave deve essere nel futuro.")


def create_integration(
    session: Session, actor: Actor, data: NewIntegration, box: KeyBox
) -> CreatedIntegration:
    """An administrator's act: the key (and webhook secret) are returned once, never again."""
    require_admin(session, actor, "creare un'integrazione")
    _check(session, data)
    name = data.name.strip()
    url = check_webhook_url(data.webhook_url) if data.webhook_url else None
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode() if url else None
    with recording(session, actor, AuditAction.INTEGRATION_CREATE, _target(name)) as entry:
        integration = Integration(
            name=name,
            key_hash=key_hash(key),
            key_hint=key[: len(KEY_PREFIX) + 4],
            scopes=store_scopes(data.scopes),
            webhook_url=url,
            webhook_secret=box.seal(secret) if secret else None,
            expires_at=data.expires_at,
            created_by=actor.username,
        )
        session.add(integration)
        session.flush()
        session.execute(
            links.insert(),
            [{"integration_id": integration.id, "service_id": s} for s in data.service_ids],
        )
        entry.detail = _describe(session, data)
    return CreatedIntegration(integration.id, name, key, secret)


def _describe(session: Session, data: NewIntegration) -> str:
    services = session.scalars(select(Service.name).where(Service.id.in_(data.service_ids)))
    parts = [
        "servizi: " + ", ".join(sorted(services)),
        "permessi: " + ", ".join(sorted(s.label for s in data.scopes)),
    ]
    if data.webhook_url:
        parts.append(f"webhook: {data.webhook_url}")
    return "; ".join(parts)


def _target(name: str) -> str:
    return f"integrazione {name}"


def revoke_integration(session: Session, actor: Actor, name: str) -> None:
    """Its key stops working at the next request; the integration stays, for the record."""
    require_admin(session, actor, "revocare un'integrazione")
    integration = _by_name(session, name)
    if integration.revoked_at is not None:
        raise InvalidInput(f"L'integrazione «{name}» è già revocata.")
    integration.revoked_at = utcnow()
    integration.revoked_by = actor.username
    record(session, actor, AuditAction.INTEGRATION_REVOKE, _target(integration.name))


def _by_name(session: Session, name: str) -> Integration:
    integration = session.scalar(select(Integration).where(Integration.name == name.strip()))
    if integration is None:
        raise NotFound(f"Nessuna integrazione di nome «{name}».")
    return integration


def list_integrations(session: Session, actor: Actor) -> list[IntegrationView]:
    require_admin(session, actor, "vedere le integrazioni")
    names: dict[int, list[str]] = {}
    rows = session.execute(
        select(links.c.integration_id, Service.name)
        .join(Service, Service.id == links.c.service_id)
        .order_by(Service.name)
    )
    for integration_id, service_name in rows:
        names.setdefault(integration_id, []).append(service_name)
    return [
        IntegrationView(
            id=i.id,
            name=i.name,
            services=tuple(names.get(i.id, ())),
            scopes=parse_scopes(i.scopes),
            key_hint=i.key_hint,
            webhook_url=i.webhook_url,
            expires_at=i.expires_at,
            revoked_at=i.revoked_at,
            last_used_at=i.last_used_at,
            created_by=i.created_by,
            created_at=i.created_at,
        )
        for i in session.scalars(select(Integration).order_by(Integration.name))
    ]


# Built once (each API request runs it): see accounts/services.py's _SERVICE_ID_BY_NAME.
_BY_KEY_HASH = select(Integration).where(Integration.key_hash == bindparam("hash"))


def authenticate_key(
    session: Session, key: str | None, request: str, origin: str | None = None
) -> Caller:
    """The integration a key belongs to; Unauthorized for a missing, unknown, revoked or
    expired key (the API answers 401), in the audit log with the `request` («POST
    /api/v1/notifications»). Notes the last use, at most once a minute."""
    integration = session.scalar(_BY_KEY_HASH, {"hash": key_hash(key)}) if key else None
    now = utcnow()
    refusal = _refusal(integration, key, now)
    if refusal is not None:
        who = Named(integration.name if integration else "(chiave sconosciuta)", origin)
        record_refusal(session, who, AuditAction.API_REFUSED, request, detail=refusal)
        raise Unauthorized(refusal)
    assert integration is not None
    if integration.last_used_at is None or now - integration.last_used_at >= TOUCH_EVERY:
        session.execute(
            update(Integration).where(Integration.id == integration.id).values(last_used_at=now)
        )
    return Caller(
        Actor.of_integration(integration.id, integration.name, origin),
        integration.id,
        parse_scopes(integration.scopes),
        integration.expires_at,
    )


def _refusal(integration: Integration | None, key: str | None, now: datetime) -> str | None:
    if not key:
        return "Manca la chiave: invia l'intestazione «Authorization: Bearer …»."
    if integration is None:
        return "Chiave non valida."
    return key_refusal(integration.revoked_at, integration.expires_at, now)


def require_scope(session: Session, caller: Caller, scope: Scope, request: str) -> None:
    """A key used beyond its scopes: PermissionDenied (403), in the audit log."""
    if scope in caller.scopes:
        return
    refusal = f"La chiave di questa integrazione non ha il permesso «{scope.label}»."
    record_refusal(session, caller.actor, AuditAction.API_REFUSED, request, detail=refusal)
    raise PermissionDenied(refusal)


def webhook_secret(session: Session, integration_id: int, box: KeyBox) -> str | None:
    """The signing secret, for the worker that delivers the webhooks."""
    sealed = session.scalar(
        select(Integration.webhook_secret).where(Integration.id == integration_id)
    )
    return box.open(sealed) if sealed else None
