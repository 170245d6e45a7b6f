"""IO services: their keys (encrypted at rest: service_keys.py), their account and who may
use them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import (
    SENDING_ROLES,
    Actor,
    current_role,
    enabled_service_ids,
    require_admin,
    require_service_read,
)
from appio_core.accounts.security import KeyBox, masked
from appio_core.accounts.service_keys import api_keys as api_keys
from appio_core.accounts.service_keys import open_keys as open_keys
from appio_core.accounts.service_keys import rotate_keys as rotate_keys
from appio_core.accounts.service_keys import seal_keys
from appio_core.audit import AuditAction, record, recording
from appio_core.domain import ApprovalPolicy
from appio_core.errors import Conflict, InvalidInput, NotFound
from appio_core.io.models import IO_MAX_AMOUNT
from appio_core.storage.models import IoAccount, Operator, Service

DEFAULT_ACCOUNT = "principale"
API_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,200}$")
SERVICE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
ORGANIZATION_FISCAL_CODE_RE = re.compile(r"^[0-9]{11}$")


@dataclass(frozen=True)
class ServiceInput:
    """What an administrator types to add or edit a service.

    Keys left as None keep the stored ones (they are write-only)."""

    name: str
    io_service_id: str
    primary_key: str | None = field(default=None, repr=False)
    secondary_key: str | None = field(default=None, repr=False)
    organization_name: str = ""
    organization_fiscal_code: str = ""
    max_payment_amount: int = 1_000_000
    account: str = DEFAULT_ACCOUNT
    active: bool = True


@dataclass(frozen=True)
class ServiceView:
    """A service as shown to people: keys masked, never in clear."""

    id: int
    name: str
    io_service_id: str
    organization_name: str
    organization_fiscal_code: str
    primary_key: str
    secondary_key: str
    max_payment_amount: int
    account: str
    active: bool
    operators: tuple[str, ...]
    # Four eyes: whether its flows wait for a second operator's approval before sending.
    approval_policy: ApprovalPolicy = ApprovalPolicy.OFF
    approval_threshold: int | None = None

    @property
    def approval(self) -> str:
        """The policy in Italian: «per ogni flusso», «non richiesta»..."""
        return self.approval_policy.describe(self.approval_threshold)


def _view(service: Service) -> ServiceView:
    return ServiceView(
        id=service.id,
        name=service.name,
        io_service_id=service.io_service_id,
        organization_name=service.organization_name,
        organization_fiscal_code=service.organization_fiscal_code,
        primary_key=masked(service.primary_key_last4),
        secondary_key=masked(service.secondary_key_last4),
        max_payment_amount=service.max_payment_amount,
        account=service.account.name,
        active=service.active,
        operators=tuple(op.username for op in service.operators),
        approval_policy=ApprovalPolicy(service.approval_policy),
        approval_threshold=service.approval_threshold,
    )


def _validate(data: ServiceInput, creating: bool) -> ServiceInput:
    name = data.name.strip()
    if not name:
        raise InvalidInput("Indica il nome del servizio.")
    io_service_id = data.io_service_id.strip()
    if not SERVICE_ID_RE.fullmatch(io_service_id):
        raise InvalidInput(
            "Identificativo del servizio IO non valido: copialo dal portale IO "
            "(solo lettere, cifre, - e _)."
        )
    if creating and not data.primary_key:
        raise InvalidInput("Indica la chiave primaria del servizio.")
    for label, key in (("primaria", data.primary_key), ("secondaria", data.secondary_key)):
        if key and not API_KEY_RE.fullmatch(key.strip()):
            raise InvalidInput(
                f"Chiave {label} non valida: copiala per intero dal portale IO, "
                "senza spazi (almeno 8 caratteri tra lettere, cifre, - e _)."
            )
    cf = data.organization_fiscal_code.strip()
    if cf and not ORGANIZATION_FISCAL_CODE_RE.fullmatch(cf):
        raise InvalidInput("Il codice fiscale dell'ente deve avere 11 cifre.")
    if not 1 <= data.max_payment_amount <= IO_MAX_AMOUNT:
        raise InvalidInput(
            "L'importo massimo di pagamento deve essere tra 1 e 9.999.999.999 centesimi."
        )
    return ServiceInput(
        name=name,
        io_service_id=io_service_id,
        primary_key=data.primary_key.strip() if data.primary_key else None,
        secondary_key=data.secondary_key.strip() if data.secondary_key else None,
        organization_name=data.organization_name.strip(),
        organization_fiscal_code=cf,
        max_payment_amount=data.max_payment_amount,
        account=data.account.strip() or DEFAULT_ACCOUNT,
        active=data.active,
    )


def get_or_create_account(session: Session, name: str) -> IoAccount:
    account = session.scalar(select(IoAccount).where(IoAccount.name == name))
    if account is None:
        account = IoAccount(name=name, rate_limit_requests=150, rate_limit_window_seconds=5)
        session.add(account)
        session.flush()
    return account


def _check_unique(session: Session, data: ServiceInput, service_id: int | None) -> None:
    for column, value, label in (
        (Service.name, data.name, "con questo nome"),
        (Service.io_service_id, data.io_service_id, "con questo identificativo IO"),
    ):
        other = session.scalar(select(Service.id).where(column == value))
        if other is not None and other != service_id:
            raise Conflict(f"Esiste già un servizio {label}.")


def _target(name: str) -> str:
    return f"servizio «{name}»"


def _keys_given(data: ServiceInput, verb: str) -> str:
    """Which keys an input sets, in words: never the keys themselves, nor a part of them."""
    given = [
        label
        for label, key in (("primaria", data.primary_key), ("secondaria", data.secondary_key))
        if key
    ]
    if not given:
        return ""
    if len(given) == 1:
        return f"Chiave {given[0]} {verb}."
    return f"Chiavi primaria e secondaria {verb.removesuffix('a')}e."


def create_service(session: Session, actor: Actor, data: ServiceInput, box: KeyBox) -> Service:
    with recording(session, actor, AuditAction.SERVICE_CREATE, _target(data.name.strip())) as entry:
        require_admin(session, actor)
        data = _validate(data, creating=True)
        _check_unique(session, data, None)
        assert data.primary_key is not None
        service = Service(
            name=data.name,
            io_service_id=data.io_service_id,
            organization_name=data.organization_name,
            organization_fiscal_code=data.organization_fiscal_code,
            max_payment_amount=data.max_payment_amount,
            account=get_or_create_account(session, data.account),
            active=data.active,
        )
        seal_keys(service, data.primary_key, data.secondary_key, box)
        session.add(service)
        session.flush()
        state = "attivo" if data.active else "disattivato"
        entry.detail = (
            f"ID servizio IO {data.io_service_id}; account IO «{data.account}»; {state}. "
            + _keys_given(data, "impostata")
        )
        return service


# The fields an update may change, with their names in the audit log.
_FIELD_NAMES = {
    "name": "nome",
    "io_service_id": "ID servizio IO",
    "organization_name": "ente",
    "organization_fiscal_code": "codice fiscale dell'ente",
    "max_payment_amount": "importo massimo",
    "active": "stato",
}


def update_service(
    session: Session, actor: Actor, service_id: int, data: ServiceInput, box: KeyBox
) -> Service:
    with recording(
        session, actor, AuditAction.SERVICE_UPDATE, f"servizio n. {service_id}"
    ) as entry:
        require_admin(session, actor)
        service = _get(session, service_id)
        entry.target = _target(service.name)
        data = _validate(data, creating=False)
        _check_unique(session, data, service_id)
        changed = [
            label
            for name, label in _FIELD_NAMES.items()
            if getattr(service, name) != getattr(data, name)
        ]
        if service.account.name != data.account:
            changed.append("account IO")
        if service.name != data.name:
            entry.target = f"{_target(data.name)} (prima «{service.name}»)"
        service.name = data.name
        service.io_service_id = data.io_service_id
        service.organization_name = data.organization_name
        service.organization_fiscal_code = data.organization_fiscal_code
        service.max_payment_amount = data.max_payment_amount
        service.account = get_or_create_account(session, data.account)
        service.active = data.active
        seal_keys(service, data.primary_key, data.secondary_key, box)
        session.flush()
        # The keys have an entry of their own; a save that changed nothing has none.
        entry.skip = not changed
        entry.detail = f"Modificati: {', '.join(changed)}." if changed else ""
    if data.primary_key or data.secondary_key:
        keys = _keys_given(data, "sostituita")
        record(session, actor, AuditAction.SERVICE_KEYS, _target(data.name), detail=keys)
    return service


def _get(session: Session, service_id: int) -> Service:
    service = session.get(Service, service_id)
    if service is None:
        raise NotFound("Servizio non trovato.")
    return service


def find_service(session: Session, actor: Actor, name: str) -> Service:
    """A service by its display name (or IO id), as the CLI names it."""
    service = session.get(Service, find_service_id(session, actor, name))
    assert service is not None
    return service


_NAMED = (Service.name == bindparam("name")) | (Service.io_service_id == bindparam("name"))
_SERVICE_ID_BY_NAME = select(Service.id).where(_NAMED)


def find_service_id(session: Session, actor: Actor, name: str) -> int:
    """find_service's id alone (the API's `service_name`), by a statement built once."""
    service_id = session.scalar(_SERVICE_ID_BY_NAME, {"name": name})
    if service_id is None:
        raise NotFound(f"Nessun servizio «{name}».")
    require_service_read(session, actor, service_id)
    return service_id


def list_services(session: Session, actor: Actor) -> list[ServiceView]:
    """The services the actor may see (all of them for administrators)."""
    stmt = select(Service).order_by(Service.name)
    allowed = enabled_service_ids(session, actor)
    if allowed is not None:
        stmt = stmt.where(Service.id.in_(allowed))
    return [_view(s) for s in session.scalars(stmt)]


def sendable_services(session: Session, actor: Actor) -> list[ServiceView]:
    """The active services the actor may send on: none for a «consultazione» operator."""
    if current_role(session, actor) not in SENDING_ROLES:
        return []
    return [s for s in list_services(session, actor) if s.active]


def set_enabled_operators(
    session: Session, actor: Actor, service_id: int, usernames: list[str]
) -> None:
    """Replace the set of operators enabled on a service."""
    with recording(
        session, actor, AuditAction.SERVICE_OPERATORS, f"servizio n. {service_id}"
    ) as entry:
        require_admin(session, actor)
        service = _get(session, service_id)
        entry.target = _target(service.name)
        operators = list(session.scalars(select(Operator).where(Operator.username.in_(usernames))))
        missing = set(usernames) - {op.username for op in operators}
        if missing:
            raise NotFound(f"Operatori sconosciuti: {', '.join(sorted(missing))}.")
        before = {op.username for op in service.operators}
        after = {op.username for op in operators}
        entry.detail = _enablement_change(before, after)
        entry.skip = before == after
        service.operators = operators
        session.flush()


def _enablement_change(before: set[str], after: set[str]) -> str:
    parts = []
    if added := sorted(after - before):
        parts.append(f"Abilitati: {', '.join(added)}.")
    if removed := sorted(before - after):
        parts.append(f"Non più abilitati: {', '.join(removed)}.")
    return " ".join(parts)


def enable_operator(session: Session, actor: Actor, service_name: str, username: str) -> None:
    with recording(session, actor, AuditAction.SERVICE_OPERATORS, _target(service_name)) as entry:
        require_admin(session, actor)
        service = find_service(session, actor, service_name)
        entry.target = _target(service.name)
        operator = session.scalar(select(Operator).where(Operator.username == username.lower()))
        if operator is None:
            raise NotFound(f"Nessun operatore «{username}».")
        entry.detail = f"Abilitati: {operator.username}."
        if operator in service.operators:
            entry.skip = True  # already enabled: nothing changed
        else:
            service.operators.append(operator)
        session.flush()


APPROVAL_THRESHOLD_MAX = 10_000_000  # more than any file may hold (FileLimits)


def set_approval_policy(
    session: Session,
    actor: Actor,
    service_id: int,
    policy: ApprovalPolicy,
    threshold: int | None = None,
) -> Service:
    """Whether the service's flows wait for a second operator's approval: never, above
    `threshold` recipients, or always. Single notifications are never held. A flow already
    waiting keeps waiting (what it asked for stays asked)."""
    with recording(
        session, actor, AuditAction.SERVICE_APPROVAL, f"servizio n. {service_id}"
    ) as entry:
        require_admin(session, actor, "decidere quali flussi richiedono un'approvazione")
        service = _get(session, service_id)
        entry.target = _target(service.name)
        if policy is ApprovalPolicy.ABOVE:
            if threshold is None or not 1 <= threshold <= APPROVAL_THRESHOLD_MAX:
                raise InvalidInput(
                    "Indica oltre quanti destinatari un flusso richiede l'approvazione: un"
                    " numero intero da 1 in su (ad esempio 100)."
                )
        else:
            threshold = None
        before = ApprovalPolicy(service.approval_policy).describe(service.approval_threshold)
        after = policy.describe(threshold)
        entry.skip = before == after
        entry.detail = f"Approvazione dei flussi: da «{before}» a «{after}»."
        service.approval_policy = policy
        service.approval_threshold = threshold
        session.flush()
        return service


def set_account_rate_limit(
    session: Session, actor: Actor, name: str, requests: int, window_seconds: int
) -> IoAccount:
    """The IO account's limit as PagoPA granted it (150 per 5 s by default; 0 = none)."""
    with recording(
        session,
        actor,
        AuditAction.SERVICE_ACCOUNT,
        f"account IO «{name}»",
        f"{requests} richieste ogni {window_seconds} s.",
    ) as entry:
        require_admin(session, actor)
        if requests < 0 or window_seconds < 1:
            raise InvalidInput(
                "Limite non valido: indica un numero di richieste (0 = nessun limite) e una "
                "finestra di almeno 1 secondo."
            )
        account = session.scalar(select(IoAccount).where(IoAccount.name == name))
        if account is None:
            raise NotFound(f"Nessun account IO «{name}».")
        entry.detail = (
            f"Da {account.rate_limit_requests} richieste ogni "
            f"{account.rate_limit_window_seconds} s a {entry.detail}"
        )
        account.rate_limit_requests = requests
        account.rate_limit_window_seconds = window_seconds
        return account
