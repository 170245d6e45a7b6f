"""A template's fields and their rules: the same as a flow's templates (the braces and the
lengths of content.template_checks, the natura of flows.fields), plus what a saved template
must have (a name, a subject and a text). Every problem is reported at once, by field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from appio_core.content import cta
from appio_core.content.template import Template, header_key
from appio_core.content.template_checks import template_problems, which
from appio_core.domain import FeatureLevel, Natura
from appio_core.errors import AppError, InvalidInput
from appio_core.flows.fields import check_natura
from appio_core.numbers import MAX_ID, whole_number
from appio_core.recipient_file.columns import AMOUNT, DUE_DATE, NOTICE_NUMBER
from appio_core.templates.models import COLUMN_LENGTH, NAME_LENGTH

# The fields, as pages and the CLI name them in errors.
NAME = "nome"
NATURA = "natura"
SUBJECT = "oggetto"
TEXT = "testo"
AMOUNT_COLUMN = "colonna_importo"
NOTICE_COLUMN = "colonna_avviso"
DUE_DATE_COLUMN = "colonna_scadenza"
BUTTONS = "pulsanti"

FIELD_LABELS = {
    NAME: "Nome",
    NATURA: "Natura",
    SUBJECT: "Oggetto",
    TEXT: "Testo",
    AMOUNT_COLUMN: "Colonna dell'importo",
    NOTICE_COLUMN: "Colonna del numero avviso",
    DUE_DATE_COLUMN: "Colonna della scadenza",
    BUTTONS: "Pulsanti",
}


class TemplateErrors(InvalidInput):
    """Some fields of a template are wrong: `fields` maps each to its Italian message."""

    code = "modello_non_valido"

    def __init__(self, fields: dict[str, str]) -> None:
        lines = "; ".join(f"{FIELD_LABELS.get(k, k)}: {v}" for k, v in fields.items())
        super().__init__(f"Correggi il modello: {lines}")
        self.fields = fields


@dataclass(frozen=True)
class TemplateFields:
    """What a version of a template says. A feature a message gains is one more field
    here and one more column of its versions."""

    natura: str = Natura.COMMUNICATION.value
    subject_template: str = ""
    text_template: str = ""
    amount_column: str = ""
    notice_number_column: str = ""
    due_date_column: str = ""
    feature_level: FeatureLevel = FeatureLevel.STANDARD
    require_secure_channels: bool = False  # «Canale sicuro»
    buttons: cta.Buttons = ()  # call-to-action buttons, checked (cta.check_buttons)

    def columns(self) -> tuple[tuple[str, str], ...]:
        """The meaning of the file's columns that the template names (a flow's
        Templates.columns): (header, role)."""
        chosen = (
            (self.amount_column, AMOUNT),
            (self.notice_number_column, NOTICE_NUMBER),
            (self.due_date_column, DUE_DATE),
        )
        return tuple((header, role) for header, role in chosen if header)

    def placeholders(self) -> tuple[str, ...]:
        """The placeholders' names, each once, in order of appearance."""
        names = [*Template.parse(self.subject_template).names]
        names += Template.parse(self.text_template).names
        return tuple(dict.fromkeys(names))


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("Indica il nome del modello.")
    if len(name) > NAME_LENGTH:
        raise InvalidInput(
            f"Il nome del modello è troppo lungo: ha {len(name)} caratteri, al massimo"
            f" {NAME_LENGTH}: accorcialo."
        )
    if "@" in name:
        raise InvalidInput(
            "Il nome del modello non può contenere «@», che separa il nome dalla versione"
            " (TARI@2): toglilo."
        )
    return name


def check_fields(fields: TemplateFields, name: str | None = None) -> TemplateFields:
    """The fields without surrounding spaces, or TemplateErrors with every problem. With
    buttons, the text's maximum is lower by their front matter, as for a flow's."""
    errors: dict[str, str] = {}
    if name is not None:
        _collect(errors, NAME, lambda: check_name(name))
    _collect(errors, NATURA, lambda: check_natura(fields.natura))
    buttons: cta.Buttons = ()
    try:
        buttons = cta.check_buttons([(b.label, b.action, b.label_en) for b in fields.buttons])
    except cta.CtaError as exc:
        errors[BUTTONS] = exc.message
    rules = cta.content_rules(buttons)
    subject = fields.subject_template.strip()
    text = fields.text_template.strip()
    for key, source, is_subject in ((SUBJECT, subject, True), (TEXT, text, False)):
        if not source:
            errors[key] = f"Scrivi il modello {which(is_subject)}."
            continue
        problems = template_problems(source, is_subject, rules)
        if problems:
            errors[key] = " ".join(p.message for p in problems)
    columns = {
        AMOUNT_COLUMN: fields.amount_column.strip(),
        NOTICE_COLUMN: fields.notice_number_column.strip(),
        DUE_DATE_COLUMN: fields.due_date_column.strip(),
    }
    seen: dict[str, str] = {}
    for key, header in columns.items():
        if not header:
            continue
        if len(header) > COLUMN_LENGTH:
            errors[key] = f"Il nome della colonna è troppo lungo: al massimo {COLUMN_LENGTH}."
        elif header_key(header) in seen:
            errors[key] = (
                f"La colonna «{header}» è già indicata come"
                f" {FIELD_LABELS[seen[header_key(header)]].lower()}: scegline un'altra."
            )
        seen.setdefault(header_key(header), key)
    if errors:
        raise TemplateErrors(errors)
    return replace(
        fields,
        subject_template=subject,
        text_template=text,
        amount_column=columns[AMOUNT_COLUMN],
        notice_number_column=columns[NOTICE_COLUMN],
        due_date_column=columns[DUE_DATE_COLUMN],
        buttons=buttons,
    )


def _collect(errors: dict[str, str], key: str, check: Callable[[], object]) -> None:
    try:
        check()
    except AppError as exc:
        errors[key] = exc.message


def parse_reference(reference: str) -> tuple[str, int | None]:
    """«TARI@2» → ("TARI", 2); «TARI» → ("TARI", None): the current version."""
    name, sign, version = reference.strip().rpartition("@")
    if not sign:
        return version.strip(), None
    number = whole_number(version, MAX_ID)
    if not number:
        raise InvalidInput(
            f"«{reference.strip()}» non va bene: scrivi NOME oppure NOME@VERSIONE, per esempio"
            " «TARI@2»."
        )
    return name.strip(), number
