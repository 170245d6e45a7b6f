"""IO's refusals that come from what PagoPA has granted the service, not from the message:
each becomes an Italian explanation of what to ask PagoPA for.

PagoPA grants a service's subscription «groups» of permissions (PagoPA's own names, which
its support knows them by): sending at all (`ApiMessageWrite`, or `ApiLimitedMessageWrite`
for the authorised recipients only), checking profiles (`ApiLimitedProfileRead`), premium
messages (`ApiMessageWriteAdvanced`), a payee other than the ente (`ApiMessageWriteWithPayee`),
and a maximum amount for payment notices. Without one, IO answers 403 (400 for the amount)
with a problem+json whose title and detail say which, in these words (PagoPA's services-func,
`CreateMessage` and its middlewares; io-functions-commons' responses):

- a body its middleware allows only to a group: 403 «You are not allowed here» with a detail
  naming the kind of message («... to send a Premium message»);
- a key in neither sending group: 403 «Production call forbidden»;
- a key in no group at all: 403 «User has no valid scopes»;
- a key without the operation's group (profiles, or sending): 403 «You are not allowed here»
  with the default detail «You do not have enough permission to complete the operation you
  requested»;
- an amount above the service's maximum: 400 «Error while sending payment metadata», «The
  requested amount (N cents) exceeds the maximum allowed for this service (M cents)».

The one place these answers are read; `appio_core.io.client` raises the error made here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from appio_core.italian import euro


class Operation(StrEnum):
    """Which call IO refused: the default «not allowed» means a different group for each."""

    PROFILE = "profile"
    SEND = "send"
    STATUS = "status"


@dataclass(frozen=True)
class Grant:
    """What the service lacks: PagoPA's name of the group (None: more than one), and the
    Italian explanation an operator reads."""

    group: str | None
    explanation: str


NOT_ALLOWED_TITLE = "You are not allowed here"
DEFAULT_NOT_ALLOWED_DETAIL = (
    "You do not have enough permission to complete the operation you requested"
)

ADVANCED = Grant(
    "ApiMessageWriteAdvanced",
    "Il servizio non è abilitato da PagoPA ai messaggi avanzati (con stato di lettura e di"
    " pagamento): chiedi a PagoPA, dall'Area riservata di IO, di abilitare il servizio ai"
    " messaggi avanzati (permesso «ApiMessageWriteAdvanced»), oppure invia il messaggio senza"
    " «Messaggio avanzato».",
)
PAYEE = Grant(
    "ApiMessageWriteWithPayee",
    "Il servizio non è abilitato da PagoPA a indicare un ente creditore diverso da sé negli"
    " avvisi di pagamento: chiedi a PagoPA il permesso «ApiMessageWriteWithPayee», oppure"
    " togli l'ente creditore (IO indica l'ente del servizio).",
)
THIRD_PARTY = Grant(
    "ApiThirdPartyMessageWrite",
    "Il servizio non è abilitato da PagoPA ai messaggi con contenuto remoto: chiedi a PagoPA"
    " il permesso «ApiThirdPartyMessageWrite».",
)
LEGAL = Grant(
    "ApiMessageWriteWithLegalDataWithoutImpersonification",
    "Il servizio non è abilitato da PagoPA ai messaggi a valore legale: chiedi a PagoPA il"
    " permesso «ApiMessageWriteWithLegalDataWithoutImpersonification».",
)
EU_COVID_CERT = Grant(
    "ApiMessageWriteEUCovidCert",
    "Il servizio non è abilitato da PagoPA ai messaggi con certificato EU COVID: chiedi a"
    " PagoPA il permesso «ApiMessageWriteEUCovidCert».",
)
SEND = Grant(
    "ApiMessageWrite",
    "La chiave del servizio non è abilitata da PagoPA a inviare messaggi: chiedi a PagoPA,"
    " dall'Area riservata di IO, il permesso di invio per il servizio («ApiMessageWrite»; per"
    " i soli destinatari autorizzati, «ApiLimitedMessageWrite»).",
)
PRODUCTION = Grant(
    "ApiMessageWrite",
    "La chiave del servizio non è abilitata da PagoPA all'invio ai cittadini (il servizio non"
    " è ancora pubblicato, o l'abilitazione è stata tolta): chiedi a PagoPA l'abilitazione"
    " all'invio del servizio (permesso «ApiMessageWrite»).",
)
PROFILE = Grant(
    "ApiLimitedProfileRead",
    "La chiave del servizio non è abilitata da PagoPA a verificare se un cittadino usa IO:"
    " chiedi a PagoPA il permesso «ApiLimitedProfileRead», oppure invia senza la verifica del"
    " destinatario.",
)
NO_GROUP = Grant(
    None,
    "La chiave del servizio non ha nessun permesso su IO: chiedi a PagoPA, dall'Area riservata"
    " di IO, di assegnare al servizio i permessi di invio («ApiMessageWrite») e di verifica"
    " dei destinatari («ApiLimitedProfileRead»).",
)

# The detail of a body allowed only to a group, in lower case (AzureAllowBodyPayloadMiddleware).
_BY_DETAIL: dict[str, Grant] = {
    "you do not have enough permissions to send a premium message": ADVANCED,
    "you do not have enough permissions to send a payment message with payee": PAYEE,
    "you do not have enough permissions to send a third party message": THIRD_PARTY,
    "you do not have enough permissions to send a legal message": LEGAL,
    "you do not have enough permissions to send an eucovidcert message": EU_COVID_CERT,
}
_BY_TITLE: dict[str, Grant] = {
    "production call forbidden": PRODUCTION,
    "user has no valid scopes": NO_GROUP,
}
# The default «not allowed»: the operation's own group. A status read refused so is another
# service's message, not a missing group.
_BY_OPERATION: dict[Operation, Grant] = {Operation.PROFILE: PROFILE, Operation.SEND: SEND}


def _plain(text: str | None) -> str:
    return " ".join((text or "").split()).rstrip(".").lower()


def missing_grant(operation: Operation, title: str | None, detail: str | None) -> Grant | None:
    """The permission a 403 says the service lacks; None when it says something else (the
    recipient not authorised, another service's message)."""
    found = _BY_DETAIL.get(_plain(detail)) or _BY_TITLE.get(_plain(title))
    if found is not None:
        return found
    if _plain(title) == _plain(NOT_ALLOWED_TITLE) and _plain(detail) in (
        "",
        _plain(DEFAULT_NOT_ALLOWED_DETAIL),
    ):
        return _BY_OPERATION.get(operation)
    return None


_AMOUNT_ABOVE_MAXIMUM = re.compile(
    r"requested amount \((\d+) cents\) exceeds the maximum allowed for this service"
    r" \((\d+) cents\)",
    re.IGNORECASE,
)


def amount_above_maximum(detail: str | None) -> str | None:
    """The Italian explanation of IO's 400 for an amount above the service's maximum."""
    found = _AMOUNT_ABOVE_MAXIMUM.search(detail or "")
    if found is None:
        return None
    asked, maximum = (int(n) for n in found.groups())
    return (
        f"L'importo di {euro(asked)} supera il massimo che PagoPA consente a questo servizio"
        f" ({euro(maximum)}): chiedi a PagoPA, dall'Area riservata di IO, di alzare l'importo"
        " massimo del servizio, e aggiornalo nella pagina Servizi; oppure correggi l'importo."
    )
