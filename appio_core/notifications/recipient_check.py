"""«Verifica destinatario» and `appio io profile`: is the citizen on IO, and does he accept
the service's messages? One profile check, the same IO's guidance asks before each send.

Reading a citizen's profile is a read of his data: each check is in the audit log, with
his codice fiscale in the entry's own column (never in its text) and its outcome: done
when IO answered (on IO or not), failed when IO could not say, refused when a rule said
no (a wrong code, a service the operator may not use).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.io_access import ServiceAccess, make_io_client, service_access
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import find_service
from appio_core.audit import AuditAction, AuditOutcome, record, recording
from appio_core.content import fiscal_code as cf
from appio_core.flows.access import active_service
from appio_core.io.errors import IoError, ProfileNotFound
from appio_core.io.models import Profile
from appio_core.notifications.content import check_fiscal_code
from appio_core.storage.db import session_scope

ACTION = AuditAction.READ_PROFILE
CHECK = "«Verifica destinatario»"
CLI = "appio io profile"


@dataclass(frozen=True)
class RecipientCheck:
    reachable: bool  # a message sent now would reach the citizen
    message: str  # in Italian, for the operator


def profile_access(session: Session, actor: Actor, service_id: int, box: KeyBox) -> ServiceAccess:
    """The one rule of a citizen's profile check, «Verifica destinatario» and `appio io
    profile` alike: send rights on an active service. A profile check is the first step of
    a send (IO's guidance asks one before each message) and it reads a citizen's data (is he
    on IO, does he accept the service): a «consultazione» operator, who sends nothing, has
    no reason to ask it, and a deactivated service sends nothing either."""
    active_service(session, actor, service_id, "verificare i destinatari")
    return service_access(session, actor, service_id, box)


def check_recipient(
    sessions: sessionmaker[Session],
    actor: Actor,
    service_id: int,
    fiscal_code: str,
    box: KeyBox,
    base_url: str,
) -> RecipientCheck:
    """Raises the field's error for a wrong code, and the core's permission errors."""
    typed = cf.normalize(fiscal_code) or None
    with (
        session_scope(sessions) as session,
        recording(session, actor, ACTION, f"servizio n. {service_id}", f"{CHECK}.") as entry,
    ):
        entry.skip, entry.fiscal_code = True, typed  # recorded once IO answered
        code = check_fiscal_code(fiscal_code)
        access = profile_access(session, actor, service_id, box)
        entry.target = f"servizio «{access.name}»"
    name = access.name
    try:
        profile = _read(sessions, actor, access, code, base_url, CHECK)
    except ProfileNotFound:
        return RecipientCheck(
            False,
            f"{code} non usa App IO: un messaggio non gli arriverebbe. Contattalo in altro modo.",
        )
    except IoError as exc:
        return RecipientCheck(False, f"Verifica non riuscita: {exc.message}")
    if not profile.sender_allowed:
        return RecipientCheck(
            False,
            f"{code} usa App IO ma ha disattivato i messaggi del servizio «{name}»: non li"
            " riceverebbe.",
        )
    return RecipientCheck(True, f"{code} usa App IO e riceve i messaggi del servizio «{name}».")


def lookup_profile(
    sessions: sessionmaker[Session],
    actor: Actor,
    service: str,
    fiscal_code: str,
    box: KeyBox,
    base_url: str,
) -> tuple[ServiceAccess, Profile]:
    """`appio io profile`: the service as the CLI names it; IO's errors raised as they are
    (ProfileNotFound: not on IO), once the check is recorded."""
    code = cf.normalize(fiscal_code)
    with (
        session_scope(sessions) as session,
        recording(
            session, actor, ACTION, f"servizio «{service}»", f"{CLI}.", fiscal_code=code or None
        ) as entry,
    ):
        entry.skip = True  # recorded once IO answered
        found = find_service(session, actor, service)
        entry.target = f"servizio «{found.name}»"
        access = profile_access(session, actor, found.id, box)
    return access, _read(sessions, actor, access, code, base_url, CLI)


def _read(
    sessions: sessionmaker[Session],
    actor: Actor,
    access: ServiceAccess,
    code: str,
    base_url: str,
    via: str,
) -> Profile:
    """IO's profile of the citizen, and the read's entry: done with what IO said (never the
    code in the text), or failed when IO could not say."""

    async def read() -> Profile:
        client = make_io_client(base_url, access.limiter)
        try:
            return await client.get_profile(access.keys, code)
        finally:
            await client.aclose()

    def entry(outcome: AuditOutcome, said: str) -> None:
        with session_scope(sessions) as session:
            record(
                session,
                actor,
                ACTION,
                f"servizio «{access.name}»",
                outcome=outcome,
                detail=f"{via}: {said}",
                fiscal_code=code,
            )

    try:
        profile = asyncio.run(read())
    except ProfileNotFound:
        entry(AuditOutcome.OK, "il cittadino non usa App IO.")
        raise
    except IoError as exc:
        # IO's reasons may quote the code they were given.
        reason = exc.message.replace(code, "[codice fiscale]")
        entry(AuditOutcome.FAILED, f"verifica non riuscita: {reason}")
        raise
    except Exception as error:
        entry(AuditOutcome.FAILED, f"verifica interrotta: errore interno ({type(error).__name__}).")
        raise
    if profile.sender_allowed:
        entry(AuditOutcome.OK, "il cittadino usa App IO e accetta i messaggi del servizio.")
    else:
        entry(AuditOutcome.OK, "il cittadino usa App IO ma ha disattivato i messaggi del servizio.")
    return profile
