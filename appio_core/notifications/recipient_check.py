"""«Verifica destinatario»: before writing, is the citizen on IO, and does he accept the
service's messages? One profile check, the same IO's guidance asks before each send."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.io_access import ServiceAccess, make_io_client, service_access
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.flows.access import active_service
from appio_core.io.errors import IoError, ProfileNotFound
from appio_core.io.models import Profile
from appio_core.notifications.content import check_fiscal_code
from appio_core.storage.db import session_scope


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
    code = check_fiscal_code(fiscal_code)
    with session_scope(sessions) as session:
        access = profile_access(session, actor, service_id, box)
    name = access.name

    async def read() -> Profile:
        client = make_io_client(base_url, access.limiter)
        try:
            return await client.get_profile(access.keys, code)
        finally:
            await client.aclose()

    try:
        profile = asyncio.run(read())
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
