"""The columns of a recipient file: which header means what, and where each field sits.

Headers are compared by `header_key` (case, accents, spaces, "_" and "-" do not count), with
the Italian names the operators' programs use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appio_core.content.template import Template, header_key
from appio_core.domain import Natura
from appio_core.recipient_file.reader import Sheet
from appio_core.recipient_file.report import FileError

FISCAL_CODE = "fiscal_code"
SUBJECT = "subject"
MARKDOWN = "markdown"
AMOUNT = "amount"  # in euro, the Italian way: 1.234,56
AMOUNT_CENTS = "amount_cents"  # in euro cents, IO's own unit: 123456
NOTICE_NUMBER = "notice_number"
DUE_DATE = "due_date"
INVALID_AFTER_DUE_DATE = "invalid_after_due_date"
SEND_AFTER = "send_after"

# Column names, compared by header_key. IO's own field names come first in each list: the
# files of PagoPA's developer portal and of GovIO use them (GovIO spells one
# `invalid_afted_due_date`), and `amount` there is in cents, as IO takes it.
_NAMES: dict[str, tuple[str, ...]] = {
    FISCAL_CODE: (
        "fiscal_code",
        "taxcode",
        "codice fiscale",
        "cf",
        "cod fiscale",
        "c.f.",
        "codice fiscale destinatario",
        "cf destinatario",
    ),
    SUBJECT: ("subject", "oggetto", "titolo"),
    MARKDOWN: ("markdown", "testo", "messaggio", "contenuto"),
    AMOUNT: (
        "importo",
        "importo dovuto",
        "importo da pagare",
        "importo in euro",
        "importo euro",
        "importo totale",
        "totale dovuto",
        "totale da pagare",
    ),
    AMOUNT_CENTS: ("amount", "importo in centesimi", "importo centesimi"),
    NOTICE_NUMBER: (
        "notice_number",
        "numero avviso",
        "codice avviso",
        "n. avviso",
        "nr. avviso",
        "num. avviso",
        "numero avviso pagopa",
        "codice avviso pagopa",
        "numero avviso di pagamento",
        "codice avviso di pagamento",
    ),
    DUE_DATE: (
        "due_date",
        "scadenza",
        "data scadenza",
        "data di scadenza",
        "scadenza pagamento",
        "data scadenza pagamento",
    ),
    INVALID_AFTER_DUE_DATE: (
        "invalid_after_due_date",
        "invalid_afted_due_date",
        "non pagabile dopo la scadenza",
        "non valido dopo la scadenza",
    ),
    SEND_AFTER: (
        "expedition_date",
        "send_after",
        "data invio",
        "data di invio",
        "data spedizione",
        "data di spedizione",
        "invio dal",
    ),
}
ALIASES: dict[str, str] = {
    header_key(alias): name for name, aliases in _NAMES.items() for alias in aliases
}
# IO's own names mean IO's payment fields whatever the flow's natura (see column_roles).
_IO_NAMES = frozenset(header_key(n) for n in ("amount", "notice_number"))
# Names that mark the header row of a file whose first rows are a title (header_row.py).
RECIPIENT_KEYS = frozenset(header_key(alias) for alias in _NAMES[FISCAL_CODE])
LABELS = {
    FISCAL_CODE: "codice fiscale",
    SUBJECT: "oggetto",
    MARKDOWN: "testo",
    AMOUNT: "importo",
    AMOUNT_CENTS: "importo in centesimi",
    NOTICE_NUMBER: "numero avviso",
    DUE_DATE: "scadenza",
    INVALID_AFTER_DUE_DATE: "non pagabile dopo la scadenza",
    SEND_AFTER: "data di invio",
}
# A column the message uses only through the templates' placeholders (and the export).
TEXT_ONLY = "text_only"
# What each meaning is called where the operator chooses it (the page, `--column`).
ROLE_LABELS = {
    FISCAL_CODE: "codice fiscale",
    AMOUNT: "importo pagoPA",
    AMOUNT_CENTS: "importo pagoPA in centesimi",
    NOTICE_NUMBER: "numero avviso pagoPA",
    DUE_DATE: "scadenza",
    INVALID_AFTER_DUE_DATE: "non pagabile dopo la scadenza",
    SEND_AFTER: "data di invio",
    SUBJECT: "oggetto",
    MARKDOWN: "testo",
    TEXT_ONLY: "solo testo",
}
# The columns that make a message a pagoPA payment notice: on a flow that is not about a
# payment (a Comunicazione) a column named «importo» is text for the templates by default.
PAYMENT_FIELDS = frozenset({AMOUNT, AMOUNT_CENTS, NOTICE_NUMBER})
# Roles that fill one field of the message: two columns with either are one field twice.
FIELD_OF_ROLE = {AMOUNT_CENTS: AMOUNT}
_ROLE_BY_LABEL = {header_key(label): role for role, label in ROLE_LABELS.items()}
_ROLE_BY_LABEL |= {header_key(label): role for role, label in LABELS.items()}
_ROLE_BY_LABEL |= {header_key(label): role for role, label in (("centesimi", AMOUNT_CENTS),)}


class UnknownRole(ValueError):
    """A meaning the operator wrote that is not one of ROLE_LABELS."""


def role_of_label(label: str) -> str:
    """A meaning as the operator writes it («importo», «solo testo») → its role."""
    role = _ROLE_BY_LABEL.get(header_key(label))
    if role is None:
        choices = ", ".join(f"«{v}»" for v in ROLE_LABELS.values())
        raise UnknownRole(f"Significato «{label}» sconosciuto: scegli tra {choices}.")
    return role


def payment_columns(natura: str | None) -> bool:
    """Whether columns named like pagoPA's (importo, numero avviso) are payment data by
    default: not on a Comunicazione, where «importo» is most likely text for the message."""
    return natura != Natura.COMMUNICATION.value


def payment_expected(natura: str | None) -> bool:
    """Whether a flow of this natura is about a payment, so that a file without payment
    columns is most likely a mistake (the report warns, «Crea flusso» asks)."""
    return natura in (Natura.PAYMENT_NOTICE.value, Natura.PAYMENT_REMINDER.value)


def header_keys(chosen: dict[str, str]) -> frozenset[str]:
    """What names a file's header row: a recipient column's name, or a column the operator
    gave a meaning to (`--column`)."""
    return RECIPIENT_KEYS | {header_key(h) for h in chosen}


def parse_column_choice(text: str) -> tuple[str, str]:
    """«Importo=solo testo» (what `--column` takes) → (header, role)."""
    header, sign, label = text.partition("=")
    if not sign or not header.strip() or not label.strip():
        raise UnknownRole(
            f"«{text}» non va bene: scrivi NOME=significato, per esempio «Importo=solo testo»."
        )
    return header.strip(), role_of_label(label)


def column_roles(
    headers: list[str], chosen: dict[str, str], payment_columns: bool = True
) -> list[str]:
    """Each header's role: the operator's choice (by header, compared by `header_key`), else
    what its name says (ALIASES; the Italian payment names only when `payment_columns`, IO's
    own always), else text."""
    by_key = {header_key(h): role for h, role in chosen.items()}
    roles = []
    for header in headers:
        key = header_key(header)
        role = by_key.get(key) or ALIASES.get(key, TEXT_ONLY)
        demoted = key not in by_key and key not in _IO_NAMES and not payment_columns
        roles.append(TEXT_ONLY if demoted and role in PAYMENT_FIELDS else role)
    return roles


@dataclass(frozen=True)
class Layout:
    """Which column holds what, and how subject and text are made."""

    sheet: Sheet
    fields: dict[str, int]
    subject: Template | None  # None: each row's subject column
    text: Template | None
    # Problems of a template itself, and the fields (SUBJECT, MARKDOWN) whose length the
    # template alone decides: those are not checked row by row.
    template_errors: list[FileError] = field(default_factory=list)
    length_decided: frozenset[str] = frozenset()
    # The amount column is in euro cents (IO's unit), not in euro.
    amount_in_cents: bool = False

    def header(self, position: int) -> str:
        return self.sheet.headers[position]

    def placeholder_columns(self, template: Template | None) -> list[int]:
        if template is None:
            return []
        by_key = {header_key(h): i for i, h in enumerate(self.sheet.headers)}
        return [by_key[key] for key in template.keys]
