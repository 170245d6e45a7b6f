"""A flow's recipient file: find its columns, check every row, hand out clean recipients.

The columns are named in recipient_columns, the row checks live in recipient_checks, the
report in recipient_report; this module is the entry point the pages, the CLI and the flow
importer use.

`validate_file` never raises for bad data: it returns a report, file-level problems first
(they stop the row checks). `iter_recipient_chunks` gives the recipients of a validated file
in chunks with subject and text rendered, for the flow importer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from appio_core.content.message import ContentRules, text_array
from appio_core.content.template import Template
from appio_core.errors import InvalidInput
from appio_core.recipient_file.checks import check_rows, duplicates, render
from appio_core.recipient_file.columns import (
    ALIASES,
    AMOUNT,
    DUE_DATE,
    FISCAL_CODE,
    LABELS,
    MARKDOWN,
    NOTICE_NUMBER,
    SUBJECT,
    Layout,
)
from appio_core.recipient_file.reader import Sheet, SpreadsheetError, header_key, read_sheet
from appio_core.recipient_file.report import (
    FileError,
    ValidationReport,
    issues_frame,
    italian_list,
    italian_number,
)

Source = Path | bytes | BinaryIO

DUPLICATE_COLUMNS = "colonne_duplicate"
NO_RECIPIENT_COLUMN = "colonna_codice_fiscale_mancante"
NO_SUBJECT = "oggetto_non_indicato"
NO_TEXT = "testo_non_indicato"
UNKNOWN_PLACEHOLDER = "segnaposto_sconosciuto"
BROKEN_TEMPLATE = "modello_non_valido"
NO_ROWS = "nessun_destinatario"
TOO_MANY_ROWS = "troppe_righe"

# Names other modules and the tests reach through this one.
__all__ = [
    "ALIASES",
    "AMOUNT",
    "DUE_DATE",
    "FISCAL_CODE",
    "LABELS",
    "MARKDOWN",
    "NOTICE_NUMBER",
    "SUBJECT",
    "FileOptions",
    "iter_recipient_chunks",
    "validate_file",
]


@dataclass(frozen=True)
class FileOptions:
    subject_template: str | None = None
    text_template: str | None = None
    sheet: str | None = None  # the first sheet when None
    max_rows: int = 1_000_000
    # Streamlit's upload limit (server.maxUploadSize) is 200 MB as well.
    max_bytes: int = 200 * 1024 * 1024
    rules: ContentRules = field(default_factory=ContentRules)
    max_payment_amount: int | None = None  # euro cents; IO's own maximum when None
    now: dt.datetime | None = None  # the clock for "due date already passed"


def validate_file(source: Source, filename: str, options: FileOptions) -> ValidationReport:
    try:
        layout = _layout(source, filename, options)
    except _FileProblems as problems:
        return ValidationReport(filename=filename, rows=problems.rows, file_errors=problems.errors)
    checked = check_rows(layout, layout.sheet.data, layout.sheet.rows, options)
    return ValidationReport(
        filename=filename,
        rows=len(layout.sheet.rows),
        error_frame=issues_frame(checked.errors),
        warning_frame=issues_frame([*checked.warnings, *duplicates(layout, checked)]),
        duplicate_rows=checked.duplicate_rows,
    )


def iter_recipient_chunks(
    source: Source, filename: str, options: FileOptions, chunk_rows: int = 50_000
) -> Iterator[pd.DataFrame]:
    """The recipients, `chunk_rows` at a time, rows with errors left out.

    Columns: row, fiscal_code, subject, markdown, amount (cents or None), notice_number,
    due_date (ISO-8601 UTC or None), extra (JSON of the row's other columns). The file is read
    once; rendered texts, the bulk of the memory, exist one chunk at a time.
    """
    try:
        layout = _layout(source, filename, options)
    except _FileProblems as problems:
        raise InvalidInput(" ".join(e.message for e in problems.errors)) from None
    data, rows = layout.sheet.data, layout.sheet.rows
    for start in range(0, len(data), chunk_rows):
        chunk = data.iloc[start : start + chunk_rows]
        yield _recipients(layout, chunk, rows[start : start + chunk_rows], options)


# ---- file level ---------------------------------------------------------------------------------


class _FileProblems(Exception):
    def __init__(self, errors: list[FileError], rows: int = 0) -> None:
        super().__init__(errors)
        self.errors = errors
        self.rows = rows


def _layout(source: Source, filename: str, options: FileOptions) -> Layout:
    try:
        sheet = read_sheet(source, filename, options.sheet, options.max_bytes)
    except SpreadsheetError as exc:
        raise _FileProblems([FileError(exc.code, exc.message)]) from None
    problems = _column_problems(sheet)
    fields = {
        ALIASES[header_key(h)]: i for i, h in enumerate(sheet.headers) if header_key(h) in ALIASES
    }
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
        raise _FileProblems(problems, rows)
    return Layout(sheet=sheet, fields=fields, subject=subject, text=text)


def _column_problems(sheet: Sheet) -> list[FileError]:
    groups: dict[str, list[str]] = {}
    for header in sheet.headers:
        key = header_key(header)
        groups.setdefault(ALIASES.get(key, key), []).append(header)
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
    if template.stray_braces():
        problems.append(
            FileError(
                BROKEN_TEMPLATE,
                f"Il modello {which} ha parentesi graffe spaiate: scrivi i segnaposto come"
                " {{nome}}.",
            )
        )
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


# ---- recipients -------------------------------------------------------------------------------


def _recipients(
    layout: Layout, data: pd.DataFrame, rows: np.ndarray, options: FileOptions
) -> pd.DataFrame:
    checked = check_rows(layout, data, rows, options)
    bad_rows = set()
    for frame in checked.errors:
        if len(frame):
            bad_rows.update(frame["row"].tolist())
    keep = ~np.isin(rows, list(bad_rows))
    n = len(data)
    subject = render(layout, data, layout.subject, SUBJECT).to_pylist()
    markdown = render(layout, data, layout.text, MARKDOWN).to_pylist()
    amount: list[int | None] = [None] * n
    notice: list[str | None] = [None] * n
    due: list[str | None] = [None] * n
    if checked.amount is not None:
        amount = [None if pd.isna(c) else int(c) for c in checked.amount.cents]
    if checked.notice is not None:
        notice = [v or None for v in checked.notice.values.tolist()]
    if checked.due is not None:
        due = [None if pd.isna(v) else str(v) for v in checked.due.values.tolist()]
    assert checked.fiscal_codes is not None
    frame = pd.DataFrame(
        {
            "row": rows,
            "fiscal_code": checked.fiscal_codes.to_numpy(),
            "subject": subject,
            "markdown": markdown,
            "amount": pd.Series(amount, dtype=object),
            "notice_number": pd.Series(notice, dtype=object),
            "due_date": pd.Series(due, dtype=object),
            "extra": _extra(layout, data),
        }
    )
    return frame[keep].reset_index(drop=True)


def _extra(layout: Layout, data: pd.DataFrame) -> list[str]:
    """The row's other columns as JSON, header to text as shown, for the Excel export."""
    own = {
        layout.fields[name] for name in (FISCAL_CODE, SUBJECT, MARKDOWN) if name in layout.fields
    }
    positions = [i for i in range(len(layout.sheet.headers)) if i not in own]
    if not positions or not len(data):
        return ["{}"] * len(data)
    frame = pd.DataFrame(
        {
            layout.header(i): pd.Series(
                text_array(data[i]).to_numpy(zero_copy_only=False), dtype=object
            )
            for i in positions
        }
    )
    # pandas' C writer: json.dumps row by row took most of the time of a million recipients.
    # Raw line breaks only end records (those inside values are escaped), hence split("\n").
    lines = frame.to_json(orient="records", lines=True, force_ascii=False)
    return lines.rstrip("\n").split("\n")
