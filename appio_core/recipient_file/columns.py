"""The columns of a recipient file: which header means what, and where each field sits.

Headers are compared by `header_key` (case, accents, spaces, "_" and "-" do not count), with
the Italian names the operators' programs use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appio_core.content.template import Template, header_key
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
