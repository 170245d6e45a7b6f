"""Typed failures of calls to App IO, grouped by what the caller should do next.

- `IoPermanentError`: repeating the same request gives the same answer; fix the data,
  the key or the recipient.
- `IoRetryableError`: IO did not process the request; the same request may be sent
  again later (after `retry_after` seconds when IO says so).
- `IoOutcomeUnknown`: a send that may have reached IO. Sending it again might deliver
  the message twice, and a message cannot be recalled: never retry it blindly.

Every error carries `message`, a sentence in Italian for the operator. They subclass
`AppError` so that the CLI and the pages show them like any other refused action.
"""

from __future__ import annotations

from appio_core.errors import AppError


class IoError(AppError):
    code = "errore_io"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        title: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.detail = detail


def _reason(title: str | None, detail: str | None) -> str:
    """IO's own words (in English), quoted so the operator can pass them to PagoPA."""
    parts = [p for p in (title, detail) if p]
    return f" (risposta di IO: «{' - '.join(parts)}»)" if parts else ""


class IoPermanentError(IoError):
    code = "errore_io_permanente"


class BadRequest(IoPermanentError):
    code = "richiesta_non_valida"

    def __init__(self, title: str | None = None, detail: str | None = None) -> None:
        super().__init__(
            "IO ha rifiutato il messaggio perché non valido"
            f"{_reason(title, detail)}: correggi i dati, ripetere l'invio non serve.",
            status=400,
            title=title,
            detail=detail,
        )


class AmountAboveMaximum(BadRequest):
    """IO's maximum amount for the service is lower than the row's (appio_core.io.groups):
    this row only, others with a smaller amount pass."""

    code = "importo_oltre_il_massimo"

    def __init__(self, explanation: str, title: str | None, detail: str | None) -> None:
        IoPermanentError.__init__(self, explanation, status=400, title=title, detail=detail)


class KeyRefused(IoPermanentError):
    code = "chiave_rifiutata"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            "IO ha rifiutato la chiave del servizio: verifica nel portale IO che le chiavi "
            "primaria e secondaria inserite siano quelle attuali.",
            status=401,
            detail=detail,
        )


class Forbidden(IoPermanentError):
    code = "operazione_negata"

    def __init__(self, title: str | None = None, detail: str | None = None) -> None:
        super().__init__(
            f"IO non consente questa operazione al servizio{_reason(title, detail)}.",
            status=403,
            title=title,
            detail=detail,
        )


class RecipientForbidden(Forbidden):
    code = "destinatario_non_autorizzato"

    def __init__(self, title: str | None = None, detail: str | None = None) -> None:
        IoPermanentError.__init__(
            self,
            "La chiave del servizio è in modalità limitata e può scrivere solo ai destinatari "
            "autorizzati: chiedi a PagoPA l'abilitazione all'invio massivo.",
            status=403,
            title=title,
            detail=detail,
        )


class MissingPermission(Forbidden):
    """IO refused because PagoPA has not granted the service a permission (appio_core.io.groups):
    every message of the same kind gets the same answer until PagoPA grants it."""

    code = "permesso_mancante"

    def __init__(
        self,
        explanation: str,
        group: str | None,
        title: str | None = None,
        detail: str | None = None,
    ) -> None:
        IoPermanentError.__init__(self, explanation, status=403, title=title, detail=detail)
        self.group = group


class ProfileNotFound(IoPermanentError):
    code = "cittadino_senza_io"

    def __init__(self, title: str | None = None, detail: str | None = None) -> None:
        super().__init__(
            "Il cittadino non usa l'app IO (o ne ha disattivato i messaggi): "
            "il messaggio non gli può essere recapitato.",
            status=404,
            title=title,
            detail=detail,
        )


class MessageNotFound(IoPermanentError):
    code = "messaggio_non_trovato"

    def __init__(self, title: str | None = None, detail: str | None = None) -> None:
        super().__init__(
            "IO non conosce questo messaggio per questo cittadino.",
            status=404,
            title=title,
            detail=detail,
        )


class UnexpectedResponse(IoPermanentError):
    code = "risposta_inattesa"

    def __init__(self, status: int, detail: str | None = None) -> None:
        super().__init__(
            f"IO ha dato una risposta inattesa (codice {status}): segnalalo all'assistenza.",
            status=status,
            detail=detail,
        )


class IoRetryableError(IoError):
    code = "errore_io_temporaneo"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        title: str | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, title=title, detail=detail)
        self.retry_after = retry_after


class RateLimited(IoRetryableError):
    code = "troppe_richieste"

    def __init__(self, retry_after: float | None = None, detail: str | None = None) -> None:
        super().__init__(
            "IO ha chiesto di rallentare (troppe richieste nello stesso momento): "
            "la richiesta non è stata elaborata e può essere ripetuta tra poco.",
            status=429,
            detail=detail,
            retry_after=retry_after,
        )


class ServiceUnavailable(IoRetryableError):
    code = "io_non_disponibile"

    def __init__(
        self, status: int, detail: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(
            f"IO non è disponibile in questo momento (codice {status}): riprova più tardi.",
            status=status,
            detail=detail,
            retry_after=retry_after,
        )


class NetworkError(IoRetryableError):
    code = "errore_di_rete"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            "Impossibile raggiungere IO (errore di rete): controlla la connessione "
            "del server a Internet e riprova.",
            detail=detail,
        )


class IoOutcomeUnknown(IoError):
    code = "esito_sconosciuto"

    def __init__(self, status: int | None = None, detail: str | None = None) -> None:
        super().__init__(
            "Non è possibile sapere se IO ha ricevuto il messaggio (la risposta non è "
            "arrivata): non reinviarlo, potrebbe arrivare due volte al cittadino.",
            status=status,
            detail=detail,
        )


# -- IO's management API (the ente's manage key: appio_core.io.manage) ------------------


class ManageKeyRefused(IoPermanentError):
    code = "chiave_gestione_rifiutata"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            "La chiave di gestione (manage) è stata rifiutata da IO: copia quella attuale"
            " dall'Area riservata di IO (sezione Chiavi API) e inseriscila di nuovo nella pagina"
            f" Servizi o con «appio io manage-key»{_reason(None, detail)}.",
            status=401,
            detail=detail,
        )


class ManageForbidden(IoPermanentError):
    code = "gestione_negata"

    def __init__(self, title: str | None = None, detail: str | None = None) -> None:
        super().__init__(
            "IO non consente questa operazione con la chiave di gestione (manage) dell'ente"
            f"{_reason(title, detail)}: verifica nell'Area riservata di IO che sia la chiave"
            " dell'ente giusto.",
            status=403,
            title=title,
            detail=detail,
        )


class IoServiceNotFound(IoPermanentError):
    code = "servizio_io_non_trovato"

    def __init__(self, service_id: str) -> None:
        super().__init__(
            f"IO non ha un servizio con identificativo «{service_id}» tra quelli dell'ente:"
            " controlla l'identificativo nell'Area riservata di IO.",
            status=404,
        )


class KeyRegenerationUnknown(IoError):
    """A regeneration that may have happened on IO, its answer lost: read the keys to know."""

    code = "rigenerazione_incerta"

    def __init__(self, status: int | None = None, detail: str | None = None) -> None:
        super().__init__(
            "Non è possibile sapere se IO ha rigenerato la chiave (la risposta non è arrivata):"
            " ripeti «Rigenera chiavi», che riparte dal punto in cui si è fermata.",
            status=status,
            detail=detail,
        )
