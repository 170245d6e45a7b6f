"""The file-level checks of a recipient file: its columns, its templates, its size.

A problem here stops the row checks (the report lists only these), except a template's
length problem, which is said once and lets the rows be checked too.
"""

from __future__ import annotations

from appio_core.content.lengths import ContentRules
from appio_core.content.template import Template, header_key
from appio_core.content.template_checks import brace_problem, length_problem
from appio_core.recipient_file.columns import (
    AMOUNT_CENTS,
    FIELD_OF_ROLE,
    FISCAL_CODE,
    MARKDOWN,
    SUBJECT,
    TEXT_ONLY,
    Layout,
    column_roles,
)
from appio_core.recipient_file.options import FileOptions
from appio_core.recipient_file.reader import Sheet
from appio_core.recipient_file.report import FileError, italian_list, italian_number

DUPLICATE_COLUMNS = "colonne_duplicate"
NO_RECIPIENT_COLUMN = "colonna_codice_fiscale_mancante"
NO_SUBJECT = "oggetto_non_indicato"
NO_TEXT = "testo_non_indicato"
UNKNOWN_PLACEHOLDER = "segnaposto_sconosciuto"
NO_ROWS = "nessun_destinatario"
TOO_MANY_ROWS = "troppe_righe"
UNKNOWN_COLUMN = "colonna_indicata_mancante"


class FileProblems(Exception):
    def __init__(self, errors: list[FileError], rows: int = 0) -> None:
        super().__init__(errors)
        self.errors = errors
        self.rows = rows


def layout(sheet: Sheet, options: FileOptions) -> Layout:
    """Which column is what, or FileProblems."""
    roles = column_roles(sheet.headers, options.columns, options.payment_columns)
    problems = _chosen_problems(sheet, options) + _column_problems(sheet, roles)
    # A field may come in more than one unit (the amount in euro or in cents): one field.
    fields = {FIELD_OF_ROLE.get(role, role): i for i, role in enumerate(roles) if role != TEXT_ONLY}
    if FISCAL_CODE not in fields:
        problems.append(
            FileError(
                NO_RECIPIENT_COLUMN,
                "Manca la colonna dei destinatari: aggiungi una colonna «codice fiscale»"
                " (oppure «cf»).",
            )
        )
    subject = _template(options.subject_template, "dell'oggetto", sheet, problems)
    text = _template(options.text_template, "del testo", sheet, problems)
    if subject is None and SUBJECT not in fields:
        problems.append(
            FileError(
                NO_SUBJECT,
                "Manca l'oggetto dei messaggi: indica un modello per l'oggetto oppure aggiungi"
                " una colonna «oggetto».",
            )
        )
    if text is None and MARKDOWN not in fields:
        problems.append(
            FileError(
                NO_TEXT,
                "Manca il testo dei messaggi: indica un modello per il testo oppure aggiungi"
                " una colonna «testo».",
            )
        )
    rows = len(sheet.rows)
    if rows == 0:
        problems.append(
            FileError(NO_ROWS, "Il file non contiene destinatari: c'è solo l'intestazione.")
        )
    if rows > options.max_rows:
        problems.append(
            FileError(
                TOO_MANY_ROWS,
                f"Il file ha {italian_number(rows)} destinatari: il massimo per un flusso è"
                f" {italian_number(options.max_rows)}. Dividilo in più flussi.",
            )
        )
    if problems:
        raise FileProblems(problems, rows)
    template_errors: list[FileError] = []
    decided: set[str] = set()
    for template, field_name in ((subject, SUBJECT), (text, MARKDOWN)):
        if template is not None and _template_length(
            template, field_name == SUBJECT, options.rules, template_errors
        ):
            decided.add(field_name)
    return Layout(
        sheet=sheet,
        fields=fields,
        subject=subject,
        text=text,
        template_errors=template_errors,
        length_decided=frozenset(decided),
        amount_in_cents=AMOUNT_CENTS in roles,
    )


def _template_length(
    template: Template, is_subject: bool, rules: ContentRules, errors: list[FileError]
) -> bool:
    """Whether the template alone decides whether every row's length is right; a problem
    then is the template's, said once (in `errors`)."""
    decided, problem = length_problem(template, is_subject, rules)
    if problem is not None:
        errors.append(FileError(problem.code, problem.message))
    return decided


def _chosen_problems(sheet: Sheet, options: FileOptions) -> list[FileError]:
    known = {header_key(h) for h in sheet.headers}
    return [
        FileError(
            UNKNOWN_COLUMN,
            f"Hai indicato il significato della colonna «{header}», ma il file non ha quella"
            " colonna: controlla il nome.",
        )
        for header in options.columns
        if header_key(header) not in known
    ]


def _column_problems(sheet: Sheet, roles: list[str]) -> list[FileError]:
    groups: dict[str, list[str]] = {}
    for header, role in zip(sheet.headers, roles, strict=True):
        key = header_key(header)
        groups.setdefault(key if role == TEXT_ONLY else FIELD_OF_ROLE.get(role, role), []).append(
            header
        )
    return [
        FileError(
            DUPLICATE_COLUMNS,
            f"Le colonne {italian_list([f'«{h}»' for h in headers])} indicano la stessa cosa:"
            " tienine una sola.",
        )
        for headers in groups.values()
        if len(headers) > 1
    ]


def _template(
    source: str | None, which: str, sheet: Sheet, problems: list[FileError]
) -> Template | None:
    if source is None or not source.strip():
        return None
    template = Template.parse(source)
    broken = brace_problem(template, which == "dell'oggetto")
    if broken is not None:
        problems.append(FileError(broken.code, broken.message))
    known = {header_key(h) for h in sheet.headers}
    for name, key in zip(template.names, template.keys, strict=True):
        if key not in known:
            problems.append(
                FileError(
                    UNKNOWN_PLACEHOLDER,
                    f"Il modello {which} usa {{{{{name}}}}}, ma il file non ha una colonna"
                    f" «{name}»: aggiungila o correggi il modello.",
                )
            )
    return template
