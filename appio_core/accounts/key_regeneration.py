"""«Rigenera chiavi»: a service's two keys replaced on IO through the management API, with
no moment when IO refuses the app's messages, and no message sent twice.

IO accepts either of a service's keys; the app calls it with one first (`ApiKeys.primary`,
appio_core.accounts.service_keys) and falls back to the other on a 401. The steps, and the
key the app uses in each:

1. IO regenerates the **secondary** (the app uses the primary, which still works), and
2. the new secondary is stored and the app **switches** to it (`secondary_first`): one
   commit. Then the fence: every send that read the keys before the switch ends.
3. IO regenerates the **primary** (nobody uses it any more), and
4. the new primary is stored and the app **switches back** to it: one commit. Sends that
   read the keys just before go on with the new secondary, which stays valid.

The same fence comes before step 1, for the sends of a regeneration just finished that
still use the secondary first. So no request is made with a key already regenerated.

The fence. A worker reads a batch's keys after claiming its rows, in the claim's
transaction, under a share lock of the service's row on PostgreSQL (SQLite's writers take
turns); the switch updates that row. So a batch that read the keys before the switch has
its rows «in invio» once the switch is committed, and the fence waits until the rows of
the service it then finds «in invio» have left that state. A single message («Nuova
notifica») reads its keys the same way, once its row is «in invio». Status reads, profile
checks and «Verifica connessione» read the keys just before their one request: one still
under way across a regeneration gets a 401 on the old key and goes on with the other
(the client's fallback), or, for a status read, tries again later.

A regeneration stopped halfway (IO refused, an answer lost, sends that outlast the wait)
leaves the app on keys that work; the next «Rigenera chiavi» goes on from where it
stopped (`secondary_first` says whether step 1 was done). Every step is in the audit log,
never a key nor a part of one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.manage_key import open_manage_key
from appio_core.accounts.permissions import Actor, require_admin
from appio_core.accounts.security import KeyBox
from appio_core.accounts.service_keys import seal_keys
from appio_core.audit import AuditAction, AuditOutcome, record, record_refusal, recording
from appio_core.domain import Outcome
from appio_core.errors import AppError, Conflict, NotFound
from appio_core.io.errors import IoError, KeyRegenerationUnknown
from appio_core.io.manage import KeyType, ManageClient
from appio_core.io.models import ApiKeys
from appio_core.italian import thousands
from appio_core.storage.db import rowcount, session_scope
from appio_core.storage.models import Flow, Notification, Service, utcnow

ACTION = AuditAction.SERVICE_KEYS_REGENERATE
# A regeneration started longer ago than this is taken as dead (its process stopped).
STALE_AFTER = timedelta(hours=1)
STEP_SECONDARY = "Passo 1 di 4: IO ha rigenerato la chiave secondaria; la nuova è salvata cifrata."
STEP_SWITCH = "Passo 2 di 4: l'app usa per prima la nuova chiave secondaria."


def step_primary(waited: int) -> str:
    """Step 3, with the sends it waited for."""
    if waited == 0:
        before = "nessun invio in corso usava la chiave primaria"
    elif waited == 1:
        before = "terminato l'invio in corso con la chiave primaria"
    else:
        before = f"terminati i {thousands(waited)} invii in corso con la chiave primaria"
    return f"Passo 3 di 4: {before}; IO l'ha rigenerata e la nuova è salvata cifrata."


STEP_BACK = "Passo 4 di 4: l'app usa di nuovo per prima la chiave primaria, quella nuova."


@dataclass(frozen=True)
class Regeneration:
    service_name: str
    steps: tuple[str, ...]  # what was done, in Italian (the audit log has the same)


@dataclass(frozen=True)
class _Started:
    name: str
    io_service_id: str
    manage_key: str
    resume: bool  # step 1 was done by a regeneration that stopped halfway


async def regenerate_keys(
    sessions: sessionmaker[Session],
    actor: Actor,
    service_id: int,
    box: KeyBox,
    client: ManageClient,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    poll: float = 0.5,
    patience: float = 600.0,
    clock: Callable[[], float] = time.monotonic,
) -> Regeneration:
    """Regenerates the service's keys on IO, step by step (each its own commit)."""
    started = _start(sessions, actor, service_id, box)
    steps: list[str] = []
    fence = _Fence(sessions, service_id, sleep, poll, patience, clock)
    try:
        if not started.resume:
            await fence.wait(started.name)
            new = await _regenerate(client, started, KeyType.SECONDARY, sessions, service_id, box)
            steps += _store(sessions, actor, service_id, box, new, started.name, first=True)
        waited = await fence.wait(started.name)
        new = await _regenerate(client, started, KeyType.PRIMARY, sessions, service_id, box)
        steps += _store(sessions, actor, service_id, box, new, started.name, waited=waited)
    except AppError as error:
        with session_scope(sessions) as session:
            record_refusal(
                session,
                actor,
                ACTION,
                _target(started.name),
                detail=f"Interrotta: {error.message} {_where(steps, started.resume)}",
                outcome=AuditOutcome.FAILED if isinstance(error, IoError) else AuditOutcome.REFUSED,
            )
        raise
    finally:
        with session_scope(sessions) as session:
            session.execute(
                update(Service)
                .where(Service.id == service_id)
                .values(keys_regeneration_started_at=None)
            )
    return Regeneration(started.name, tuple(steps))


def _target(name: str) -> str:
    return f"servizio «{name}»"


def _where(steps: list[str], resume: bool) -> str:
    if steps or resume:
        return (
            "L'app usa la nuova chiave secondaria, che funziona: ripeti «Rigenera chiavi» per"
            " rigenerare la primaria."
        )
    return "Le chiavi del servizio non sono cambiate."


def _start(sessions: sessionmaker[Session], who: Actor, service_id: int, box: KeyBox) -> _Started:
    """The checks (administrators only), the guard against a second regeneration."""
    with (
        session_scope(sessions) as session,
        recording(session, who, ACTION, f"servizio n. {service_id}") as entry,
    ):
        require_admin(session, who)
        service = session.get(Service, service_id)
        if service is None:
            raise NotFound("Servizio non trovato.")
        entry.target = _target(service.name)
        manage_key = open_manage_key(session, who, box)
        now = utcnow()
        free = or_(
            Service.keys_regeneration_started_at.is_(None),
            Service.keys_regeneration_started_at < now - STALE_AFTER,
        )
        taken = session.execute(
            update(Service)
            .where(Service.id == service_id, free)
            .values(keys_regeneration_started_at=now)
            .execution_options(synchronize_session=False)
        )
        if not rowcount(taken):
            raise Conflict(
                f"La rigenerazione delle chiavi del servizio «{service.name}» è già in corso:"
                " attendi che finisca (il registro attività ne mostra i passi)."
            )
        entry.detail = (
            "Ripresa dal passo 3: l'app usa già la nuova chiave secondaria."
            if service.secondary_first
            else "Avviata: IO rigenera una chiave alla volta, l'app usa sempre l'altra."
        )
        return _Started(service.name, service.io_service_id, manage_key, service.secondary_first)


def _stored(sessions: sessionmaker[Session], service_id: int, box: KeyBox) -> ApiKeys:
    """The service's keys as stored, primary and secondary (not in the order of use)."""
    with session_scope(sessions) as session:
        service = session.get(Service, service_id)
        assert service is not None
        secondary = service.secondary_key_encrypted
        return ApiKeys(
            box.open(service.primary_key_encrypted), box.open(secondary) if secondary else None
        )


async def _regenerate(
    client: ManageClient,
    started: _Started,
    key_type: KeyType,
    sessions: sessionmaker[Session],
    service_id: int,
    box: KeyBox,
) -> ApiKeys:
    """Both keys as IO has them after regenerating one. An answer lost: the keys read again
    tell whether IO did it (the key no longer the stored one)."""
    try:
        return await client.regenerate_key(started.manage_key, started.io_service_id, key_type)
    except KeyRegenerationUnknown:
        now = await client.get_keys(started.manage_key, started.io_service_id)
        before = _stored(sessions, service_id, box)
        regenerated = (
            now.primary != before.primary
            if key_type is KeyType.PRIMARY
            else now.secondary != before.secondary
        )
        if not regenerated:
            raise Conflict(
                f"IO non ha confermato la rigenerazione della chiave {key_type.label} e non l'ha"
                " cambiata: riprova tra poco."
            ) from None
        return now


def _store(
    sessions: sessionmaker[Session],
    who: Actor,
    service_id: int,
    box: KeyBox,
    keys: ApiKeys,
    name: str,
    *,
    first: bool = False,
    waited: int = 0,
) -> list[str]:
    """Stores both keys as IO has them now and switches the key used first: the secondary
    after step 1 (`first`), the primary after step 3. One commit, with its audit entries."""
    with session_scope(sessions) as session:
        service = session.get(Service, service_id)
        assert service is not None
        seal_keys(service, keys.primary, keys.secondary, box)
        service.secondary_first = first
        steps = [STEP_SECONDARY, STEP_SWITCH] if first else [step_primary(waited), STEP_BACK]
        for step in steps:
            record(session, who, ACTION, _target(name), detail=step)
        return steps


class _Fence:
    """Waits for the sends of the service under way now (rows «in invio») to end."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        service_id: int,
        sleep: Callable[[float], Awaitable[None]],
        poll: float,
        patience: float,
        clock: Callable[[], float],
    ) -> None:
        self.sessions = sessions
        self.service_id = service_id
        self._sleep, self._poll, self._patience, self._clock = sleep, poll, patience, clock

    def _under_way(self, session: Session, among: set[int] | None = None) -> set[int]:
        rows = select(Notification.id).where(Notification.outcome == Outcome.SENDING)
        if among is not None:
            return set(session.scalars(rows.where(Notification.id.in_(among))))
        # Two queries, each on the (flow_id, outcome) index: the flows' rows, the singles'
        # (few at a time: their service is checked here, or SQLite would walk the index
        # of every notification of the service).
        flows = select(Flow.id).where(Flow.service_id == self.service_id)
        found = set(session.scalars(rows.where(Notification.flow_id.in_(flows))))
        singles = select(Notification.id, Notification.service_id).where(
            Notification.outcome == Outcome.SENDING, Notification.flow_id.is_(None)
        )
        mine = {row for row, service in session.execute(singles) if service == self.service_id}
        return found | mine

    async def wait(self, name: str) -> int:
        """How many sends were waited for."""
        with session_scope(self.sessions) as session:
            waiting = self._under_way(session)
        total = len(waiting)
        deadline = self._clock() + self._patience
        while waiting:
            if self._clock() >= deadline:
                minutes = max(1, round(self._patience / 60))
                within = "un minuto" if minutes == 1 else f"{minutes} minuti"
                raise Conflict(
                    f"Gli invii in corso del servizio «{name}» non sono terminati entro {within}"
                    " (un worker fermo?): la chiave che usano non è stata rigenerata."
                )
            await self._sleep(self._poll)
            with session_scope(self.sessions) as session:
                waiting = self._under_way(session, waiting)
        return total
