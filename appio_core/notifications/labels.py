"""IO's codes in the operators' words: one label for each, used by pages and exports alike;
and the note on a message whose data the purge removed.

IO answers in English codes (PROCESSED, NOT_PAID...); the operator never reads them.
"""

from __future__ import annotations

from datetime import datetime

from appio_core.domain import FeatureLevel
from appio_core.italian import local_date

NO_MESSAGE = "—"  # no message reached IO, so there is no status to speak of

IO_STATUS_LABELS: dict[str, str] = {
    "ACCEPTED": "Accettato, in elaborazione",
    "THROTTLED": "In ritardo (IO riprova)",
    "PROCESSED": "Consegnato nell'app",
    "REJECTED": "Respinto",
    "FAILED": "Non consegnato",
}
IO_STATUS_DESCRIPTIONS: dict[str, str] = {
    "ACCEPTED": "IO ha ricevuto il messaggio e lo sta elaborando.",
    "THROTTLED": (
        "IO ha un problema temporaneo e riprova da solo a consegnare il messaggio, fino a 7 giorni."
    ),
    "PROCESSED": "Il messaggio è nella casella del cittadino su App IO.",
    "REJECTED": "Il cittadino non può ricevere messaggi da questo servizio.",
    "FAILED": "IO non è riuscito a consegnare il messaggio (errore definitivo).",
}
EMAIL_STATUS_LABELS: dict[str, str] = {
    "SENT": "Inviata",
    "THROTTLED": "In ritardo",
    "EXPIRED": "Scaduta",
    "FAILED": "Non inviata",
}
# Since July 2026 IO no longer returns the e-mail notification status.
EMAIL_NOT_TOLD = "Non comunicato da IO"
EMAIL_NOT_TOLD_LONG = (
    "Non comunicato da IO: da luglio 2026 IO non restituisce più lo stato delle e-mail di avviso."
)
READ_STATUS_LABELS: dict[str, str] = {
    "UNAVAILABLE": "Non disponibile",
    "UNREAD": "Non ancora letto",
    "READ": "Letto",
}
PAYMENT_STATUS_LABELS: dict[str, str] = {
    "PAID": "Pagato",
    "NOT_PAID": "Non pagato",
}
FEATURE_LEVEL_LABELS: dict[FeatureLevel, str] = {
    FeatureLevel.STANDARD: "Standard",
    FeatureLevel.ADVANCED: "Avanzato (stato di lettura e pagamento)",
}


def _label(labels: dict[str, str], code: str | None, missing: str) -> str:
    if code is None:
        return missing
    return labels.get(code, f"Sconosciuto ({code})")


def code_label(labels: dict[str, str], code: str | None) -> str | None:
    """An optional code of IO in Italian (None stays None; an unknown code is said so)."""
    return None if code is None else _label(labels, code, "")


def io_status_label(code: str | None, has_message: bool) -> str:
    """IO's status of the message; «In attesa di lettura» until the first read."""
    if not has_message:
        return NO_MESSAGE
    return _label(IO_STATUS_LABELS, code, "Non ancora letto da IO")


def email_status_label(code: str | None, has_message: bool, long: bool = False) -> str:
    """«Stato Mail»: IO's e-mail notification status; unknown (not missing) when IO is silent."""
    if not has_message:
        return NO_MESSAGE
    return _label(EMAIL_STATUS_LABELS, code, EMAIL_NOT_TOLD_LONG if long else EMAIL_NOT_TOLD)


def read_status_label(code: str | None, feature_level: FeatureLevel, has_message: bool) -> str:
    if not has_message:
        return NO_MESSAGE
    if feature_level != FeatureLevel.ADVANCED:
        return "Solo per messaggi avanzati"
    return _label(READ_STATUS_LABELS, code, "Non ancora comunicato")


def payment_status_label(code: str | None, feature_level: FeatureLevel, has_message: bool) -> str:
    if not has_message:
        return NO_MESSAGE
    if feature_level != FeatureLevel.ADVANCED:
        return "Solo per messaggi avanzati"
    return _label(PAYMENT_STATUS_LABELS, code, "Non ancora comunicato")


def purge_note(days: int | None, at: datetime) -> str:
    """What an operator reads on a purged notification (detail, exports, CLI). Here, not
    with the purge (notifications/retention.py): `appio notification show` reads it and
    has no use for the purge's modules."""
    after = f"dopo {days} giorni" if days else "dopo il periodo di conservazione"
    return f"Dati rimossi {after} (il {local_date(at)})"
