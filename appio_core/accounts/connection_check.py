""" "Verifica connessione": does this service's key work on IO, and how far can it reach?

Two profile checks: the test citizen (every valid key may reach it) tells whether IO
accepts the key; a made-up citizen then tells a limited key (403 Recipient forbidden)
from one enabled for everybody (200 or 404). Each key is tried on its own, so that a
refused primary is reported even when the secondary still works.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from appio_core.accounts.io_access import make_io_client, service_access
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.config import Settings
from appio_core.io.client import IoClient
from appio_core.io.errors import (
    IoError,
    KeyRefused,
    NetworkError,
    ProfileNotFound,
    RecipientForbidden,
)
from appio_core.io.models import TEST_FISCAL_CODE, ApiKeys

# Matches IO's pattern, belongs to nobody, and is no service's authorised recipient.
PROBE_FISCAL_CODE = "BBBBBB00A00B000B"


class ConnectionOutcome(StrEnum):
    VALID_KEY = "chiave_valida"
    LIMITED_KEY = "chiave_limitata"
    KEY_REFUSED = "chiave_rifiutata"
    NETWORK_ERROR = "errore_di_rete"
    OTHER = "altro"


@dataclass(frozen=True)
class ConnectionCheck:
    outcome: ConnectionOutcome
    message: str  # in Italian, for the operator
    secondary_only: bool = False  # the primary key was refused, the secondary works

    @property
    def ok(self) -> bool:
        return self.outcome in (ConnectionOutcome.VALID_KEY, ConnectionOutcome.LIMITED_KEY)


SECONDARY_ONLY_NOTE = (
    " Attenzione: IO ha rifiutato la chiave primaria e funziona solo la secondaria: "
    "aggiorna la chiave primaria."
)


async def check_connection(client: IoClient, keys: ApiKeys) -> ConnectionCheck:
    try:
        working = await _working_key(client, keys)
        if working is None:
            return ConnectionCheck(
                ConnectionOutcome.KEY_REFUSED,
                "Chiave rifiutata: IO non riconosce né la chiave primaria né la secondaria. "
                "Copia le chiavi attuali dal portale IO.",
            )
        secondary_only = working != keys.primary
        note = SECONDARY_ONLY_NOTE if secondary_only else ""
        try:
            await client.get_profile(ApiKeys(working, None), PROBE_FISCAL_CODE)
        except RecipientForbidden:
            return ConnectionCheck(
                ConnectionOutcome.LIMITED_KEY,
                "Chiave valida, ma in modalità limitata: può scrivere solo ai destinatari "
                f"autorizzati (tra cui il cittadino di test {TEST_FISCAL_CODE}). Per inviare a "
                "tutti i cittadini chiedi a PagoPA l'abilitazione all'invio massivo." + note,
                secondary_only,
            )
        except ProfileNotFound:
            pass
        return ConnectionCheck(
            ConnectionOutcome.VALID_KEY,
            "Chiave valida: IO ha risposto e il servizio può scrivere a tutti i cittadini." + note,
            secondary_only,
        )
    except NetworkError:
        return ConnectionCheck(
            ConnectionOutcome.NETWORK_ERROR,
            "IO non raggiungibile (errore di rete): controlla la connessione del server "
            "a Internet e riprova.",
        )
    except IoError as exc:
        return ConnectionCheck(ConnectionOutcome.OTHER, f"Verifica non riuscita: {exc.message}")


async def _working_key(client: IoClient, keys: ApiKeys) -> str | None:
    for key in (keys.primary, keys.secondary):
        if not key:
            continue
        try:
            await client.get_profile(ApiKeys(key, None), TEST_FISCAL_CODE)
        except KeyRefused:
            continue
        except ProfileNotFound:
            pass  # the key works; the test citizen is simply not there
        return key
    return None


def run_connection_check(
    session: Session, actor: Actor, service_id: int, box: KeyBox, settings: Settings
) -> ConnectionCheck:
    """For the Servizi page: loads the service's keys (checking the actor may read it)."""
    access = service_access(session, actor, service_id, box)

    async def run() -> ConnectionCheck:
        client = make_io_client(settings.io_base_url, access.limiter)
        try:
            return await check_connection(client, access.keys)
        finally:
            await client.aclose()

    return asyncio.run(run())
