"""How each column of a file was read, in words for the report: «amount: importo pagoPA in
centesimi, come in IO». What the operator reads before trusting a file from another tool."""

from __future__ import annotations

from appio_core.content.template import Template, header_key
from appio_core.recipient_file.columns import (
    ALIASES,
    AMOUNT,
    AMOUNT_CENTS,
    DUE_DATE,
    FISCAL_CODE,
    INVALID_AFTER_DUE_DATE,
    MARKDOWN,
    NOTICE_NUMBER,
    PAYMENT_FIELDS,
    SEND_AFTER,
    SUBJECT,
    TEXT_ONLY,
)

_READINGS = {
    FISCAL_CODE: "codice fiscale del destinatario",
    SUBJECT: "l'oggetto di ogni messaggio, riga per riga",
    MARKDOWN: "il testo di ogni messaggio (Markdown), riga per riga",
    AMOUNT: "importo pagoPA in euro, come 1.234,56",
    AMOUNT_CENTS: "importo pagoPA in centesimi, come in IO (12050 = € 120,50)",
    NOTICE_NUMBER: "numero avviso pagoPA (18 cifre)",
    DUE_DATE: "scadenza, in ora italiana se non indicata (31/12/2026, 2026-12-31T18:00:00)",
    INVALID_AFTER_DUE_DATE: "avviso non pagabile dopo la scadenza (sì/no, true/false)",
    SEND_AFTER: (
        "data di invio: la riga non parte prima di quel momento, ora italiana (una data"
        " senza ora vale dalle 9:00); una data già passata parte subito"
    ),
}


def column_readings(
    headers: list[str],
    roles: list[str],
    subject_template: str | None,
    text_template: str | None,
) -> list[str]:
    """One Italian phrase per column: what the flow makes of it."""
    templates = [Template.parse(t) for t in (subject_template, text_template) if t and t.strip()]
    used = {key for template in templates for key in template.keys}
    readings = []
    for header, role in zip(headers, roles, strict=True):
        key = header_key(header)
        reading = _READINGS.get(role, "")
        if role == SUBJECT and subject_template and subject_template.strip():
            reading = "non usata per l'oggetto: vale il modello dell'oggetto"
        elif role == MARKDOWN and text_template and text_template.strip():
            reading = "non usata per il testo: vale il modello del testo"
        elif role == TEXT_ONLY:
            reading = _text_only(header, key in used, ALIASES.get(key) in PAYMENT_FIELDS)
        if role != TEXT_ONLY and key in used:
            reading += f"; nei modelli come {{{{{header}}}}}"
        readings.append(reading)
    return readings


def _text_only(header: str, in_templates: bool, payment_name: bool) -> str:
    if in_templates:
        reading = f"solo testo, nei modelli come {{{{{header}}}}}"
    else:
        reading = "solo testo, non usata nel messaggio (resta nell'esportazione)"
    if payment_name:
        reading += (
            "; su una Comunicazione non è un pagamento pagoPA: scegli «importo pagoPA» o"
            " «numero avviso pagoPA» se lo è"
        )
    return reading
