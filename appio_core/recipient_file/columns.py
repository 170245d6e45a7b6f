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
AMOUNT = "amount"
NOTICE_NUMBER = "notice_number"
DUE_DATE = "due_date"

ALIASES: dict[str, str] = {
    header_key(alias): name
    for name, aliases in {
        FISCAL_CODE: ("codice fiscale", "cf", "codice_fiscale", "cod fiscale", "c.f."),
        SUBJECT: ("oggetto", "titolo"),
        MARKDOWN: ("testo", "messaggio", "contenuto"),
        AMOUNT: ("importo",),
        NOTICE_NUMBER: ("numero avviso", "codice avviso"),
        DUE_DATE: ("scadenza", "data scadenza"),
    }.items()
    for alias in aliases
}
LABELS = {
    FISCAL_CODE: "codice fiscale",
    SUBJECT: "oggetto",
    MARKDOWN: "testo",
    AMOUNT: "importo",
    NOTICE_NUMBER: "numero avviso",
    DUE_DATE: "scadenza",
}
# A column the message uses only through the templates' placeholders (and the export).
TEXT_ONLY = "text_only"
# What each meaning is called where the operator chooses it (the page, `--column`).
ROLE_LABELS = {
    FISCAL_CODE: "codice fiscale",
    AMOUNT: "importo pagoPA",
    NOTICE_NUMBER: "numero avviso pagoPA",
    DUE_DATE: "scadenza",
    SUBJECT: "oggetto",
    MARKDOWN: "testo",
    TEXT_ONLY: "solo testo",
}
# The columns that make a message a pagoPA payment notice: on a flow that is not about a
# payment (a Comunicazione) a column named «importo» is text for the templates by default.
PAYMENT_FIELDS = frozenset({AMOUNT, NOTICE_NUMBER})
_ROLE_BY_LABEL = {header_key(label): role for role, label in ROLE_LABELS.items()}
_ROLE_BY_LABEL |= {header_key(label): role for role, label in LABELS.items()}


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
    what its name says (ALIASES; payment names only when `payment_columns`), else text."""
    by_key = {header_key(h): role for h, role in chosen.items()}
    roles = []
    for header in headers:
        key = header_key(header)
        role = by_key.get(key) or ALIASES.get(key, TEXT_ONLY)
        if key not in by_key and role in PAYMENT_FIELDS and not payment_columns:
            role = TEXT_ONLY
        roles.append(role)
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

    def header(self, position: int) -> str:
        return self.sheet.headers[position]

    def placeholder_columns(self, template: Template | None) -> list[int]:
        if template is None:
            return []
        by_key = {header_key(h): i for i, h in enumerate(self.sheet.headers)}
        return [by_key[key] for key in template.keys]
