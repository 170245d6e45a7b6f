"""The fields of one message, as an operator types them in «Nuovo» or on the command line:
each checked with the same rules as a recipient file's rows, every error reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from appio_core.content import cta, fiscal_code, fiscal_code_columns
from appio_core.content.cells import thousands
from appio_core.content.message import (
    check_notice_number,
    check_subject,
    check_text,
    parse_amount,
    parse_due_date,
    text_length,
)
from appio_core.errors import InvalidInput

T = TypeVar("T")

# The form's fields, as pages and the CLI name them in errors.
FISCAL_CODE = "codice_fiscale"
SUBJECT = "oggetto"
TEXT = "testo"
AMOUNT = "importo"
NOTICE_NUMBER = "numero_avviso"
DUE_DATE = "scadenza"
BUTTONS = "pulsanti"

FIELD_LABELS = {
    FISCAL_CODE: "Codice fiscale",
    SUBJECT: "Oggetto",
    TEXT: "Contenuto",
    AMOUNT: "Importo",
    NOTICE_NUMBER: "Numero avviso",
    DUE_DATE: "Scadenza",
    BUTTONS: "Pulsanti",
}


class FieldErrors(InvalidInput):
    """Some fields are wrong: `fields` maps each to its Italian message; nothing was sent."""

    code = "campi_non_validi"

    def __init__(self, fields: dict[str, str]) -> None:
        lines = "; ".join(f"{FIELD_LABELS.get(k, k)}: {v}" for k, v in fields.items())
        super().__init__(f"Correggi i campi indicati: {lines}")
        self.fields = fields


@dataclass(frozen=True)
class CheckedContent:
    """A message ready for IO: normalised, in IO's own forms (cents, ISO UTC)."""

    fiscal_code: str
    subject: str
    markdown: str
    amount: int | None
    notice_number: str | None
    due_date: str | None
    buttons: cta.Buttons = ()
    secure_channel: bool = False


def check_fiscal_code(value: str) -> str:
    """The normalised code; IO's test citizen (AAAAAA00A00A000A) is accepted as it is."""
    if fiscal_code.normalize(value) == fiscal_code.TEST_CITIZEN:
        return fiscal_code.TEST_CITIZEN
    return fiscal_code_columns.validate(value)


def check_content(
    *,
    fiscal_code: str,
    subject: str,
    text: str,
    amount: str = "",
    notice_number: str = "",
    due_date: str = "",
    max_amount: int | None = None,
    buttons: Sequence[tuple[str, str, str]] = (),
    secure_channel: bool = False,
) -> CheckedContent:
    """`buttons`: (label, action, English label) as typed; IO counts their front matter in
    the text's length."""
    errors: dict[str, str] = {}

    def checked(name: str, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except InvalidInput as exc:
            errors[name] = exc.message
            return None

    code = checked(FISCAL_CODE, lambda: check_fiscal_code(fiscal_code))
    clean_subject = checked(SUBJECT, lambda: check_subject(subject))
    checked_buttons = checked(BUTTONS, lambda: cta.check_buttons(buttons)) or ()
    clean_text = checked(TEXT, lambda: check_text(text, cta.content_rules(checked_buttons)))
    if checked_buttons and TEXT in errors and text.strip():
        used = text_length(cta.front_matter(checked_buttons))
        errors[TEXT] += f" I pulsanti occupano {thousands(used)} caratteri del limite di IO."
    cents = checked(AMOUNT, lambda: parse_amount(amount, max_amount)) if amount.strip() else None
    notice = (
        checked(NOTICE_NUMBER, lambda: check_notice_number(notice_number))
        if notice_number.strip()
        else None
    )
    due = checked(DUE_DATE, lambda: parse_due_date(due_date.strip())) if due_date.strip() else None
    if amount.strip() and not notice_number.strip():
        errors.setdefault(
            NOTICE_NUMBER, "Per un avviso di pagamento indica anche il numero avviso."
        )
    if notice_number.strip() and not amount.strip():
        errors.setdefault(AMOUNT, "Per un avviso di pagamento indica anche l'importo.")
    if errors:
        raise FieldErrors(errors)
    assert code is not None and clean_subject is not None and clean_text is not None
    return CheckedContent(
        code, clean_subject, clean_text, cents, notice, due, checked_buttons, secure_channel
    )
