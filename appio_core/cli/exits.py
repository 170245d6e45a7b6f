"""What `appio notification send`, `appio io send` and `appio flow send --wait` tell a script
by their exit status: the codes, their help, and the one function per kind of result that
picks a code. A script must be able to tell «delivered» from «surely not delivered» from
«maybe delivered»: only the last forbids sending again.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import TYPE_CHECKING

from appio_core.domain import POSITIVE_OUTCOMES, FlowState, Outcome

if TYPE_CHECKING:
    # Only a type here: `appio flow status` imports this module, and must not load the
    # sending stack (aiohttp, pandas) it does not use.
    from appio_core.notifications.single import SingleResult


class SendExit(IntEnum):
    ACCEPTED = 0  # IO accepted the message: it has IO's id
    # Any other error, before a message request left for IO: configuration, database,
    # permissions, IO unreachable (no answer at all). Nothing was delivered.
    NOT_SENT = 1
    BAD_INPUT = 2  # the request itself is wrong: nothing registered, nothing sent
    # IO answered and did not take the message: not on IO, the service turned off by the
    # citizen, a refusal (also a temporary one: 429, 503). Nothing was delivered.
    REFUSED = 3
    UNCERTAIN = 4  # the request may have reached IO: never repeat it blindly


# `\b` keeps click from rewrapping the list.
SEND_EXIT_HELP = """\b
Stato di uscita, per gli script:
  0  IO ha accettato il messaggio (stampa l'ID messaggio IO).
  1  nessuna richiesta di invio è partita: configurazione, database, permessi, servizio
     sconosciuto o disattivato, IO non raggiungibile (nessuna risposta). Nessun messaggio
     consegnato.
  2  dati non validi, anche una --request-key già usata per un altro messaggio: nessun
     messaggio registrato né inviato.
  3  IO ha risposto e non ha preso il messaggio: cittadino senza IO, servizio disattivato
     dal cittadino, rifiuto di IO, anche temporaneo (429, 503: si può riprovare più
     tardi). Nessun messaggio consegnato.
  4  esito incerto: la richiesta potrebbe essere arrivata a IO (o l'invio con la stessa
     chiave è ancora in corso). Non ripetere l'invio: controlla con
     appio notification show ID.

\b
Con --request-key, lo stesso comando ripetuto con la stessa chiave non invia di nuovo:
restituisce l'esito del primo invio, con il suo stato di uscita. Per riprovare dopo 1 o 3
usa una chiave nuova."""

FLOW_EXIT_HELP = """\b
Stato di uscita con --wait, per gli script:
  0  flusso «Inviato»: IO ha accettato il messaggio di ogni destinatario.
  1  il flusso non è arrivato alla fine (sospeso, ad esempio per le chiavi rifiutate da
     IO, o annullato), oppure un errore prima dell'invio, oppure il servizio richiede
     l'approvazione: il flusso è «In attesa di approvazione» (partirà quando un altro
     operatore lo approva con appio flow approve).
  2  dati non validi.
  3  flusso «Invio incompleto» senza esiti incerti: alcuni destinatari non hanno ricevuto
     il messaggio (senza IO, servizio disattivato, errori).
  4  almeno un destinatario con esito incerto: decidi con resend-uncertain o
     mark-uncertain-sent, non inviare di nuovo alla cieca."""


def single_exit(result: SingleResult) -> SendExit:
    """The exit status of one message's send (a repeat of a request key gives the first's)."""
    if result.outcome in POSITIVE_OUTCOMES:
        return SendExit.ACCEPTED
    if result.outcome in (Outcome.UNCERTAIN, Outcome.SENDING):
        return SendExit.UNCERTAIN
    if result.outcome == Outcome.ERROR and result.http_status is None:
        # No answer from IO: unreachable before the post, or the send never started.
        return SendExit.NOT_SENT
    return SendExit.REFUSED


def flow_exit(state: FlowState, counts: Mapping[Outcome, int]) -> SendExit:
    """The exit status of `flow send --wait`, once the flow stopped or finished."""
    if counts.get(Outcome.UNCERTAIN) or counts.get(Outcome.SENDING):
        return SendExit.UNCERTAIN
    if state == FlowState.SENT:
        return SendExit.ACCEPTED
    if state == FlowState.INCOMPLETE:
        return SendExit.REFUSED
    return SendExit.NOT_SENT
