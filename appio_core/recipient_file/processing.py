"""Reading and checking a recipient file, in the sandboxed child: one pass.

The file is read once and checked once; the report goes to the parent, then, if the parent
asked for them and the file has no errors, the recipients, in chunks, from the same parse.
Runs under sandbox.py's limits; imported by its fork server, so it also pulls in what every
child needs (pandas, pyarrow, calamine).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from appio_core.content import amounts, due_dates, flags, notice_numbers, send_dates
from appio_core.content.cells import cell_text
from appio_core.recipient_file import wire
from appio_core.recipient_file.checks import check_rows, duplicates, render
from appio_core.recipient_file.columns import (
    AMOUNT,
    DUE_DATE,
    INVALID_AFTER_DUE_DATE,
    LABELS,
    MARKDOWN,
    NOTICE_NUMBER,
    SEND_AFTER,
    SUBJECT,
    Layout,
    column_roles,
    header_keys,
)
from appio_core.recipient_file.file_notes import file_notes, file_warnings
from appio_core.recipient_file.guards import SpreadsheetError
from appio_core.recipient_file.issues import Checked
from appio_core.recipient_file.layout import FileProblems, layout
from appio_core.recipient_file.options import FileOptions
from appio_core.recipient_file.reader import Sheet, read_sheet
from appio_core.recipient_file.readings import column_readings
from appio_core.recipient_file.recipients import recipient_batches
from appio_core.recipient_file.report import FileError, ValidationReport, issues_frame


@dataclass(frozen=True)
class Request:
    source: Path | bytes
    filename: str
    options: FileOptions
    deliver: bool  # send the recipients after the report, if there is no error
    chunk_rows: int


def _read(source: Path | bytes, filename: str, options: FileOptions) -> Sheet:
    return read_sheet(
        source,
        filename,
        options.sheet,
        options.max_bytes,
        options.limits,
        header_keys(options.columns),
    )


def check_file(
    source: Path | bytes, filename: str, options: FileOptions
) -> tuple[ValidationReport, Layout | None, Checked | None]:
    try:
        sheet = _read(source, filename, options)
    except SpreadsheetError as exc:
        return (
            ValidationReport(filename, file_errors=[FileError(exc.code, exc.message)]),
            None,
            None,
        )
    roles = column_roles(sheet.headers, options.columns, options.payment_columns)
    described = {
        "columns": list(zip(sheet.headers, roles, strict=True)),
        "readings": column_readings(
            sheet.headers, roles, options.subject_template, options.text_template
        ),
        "header_row": sheet.header_row,
    }
    try:
        found = layout(sheet, options)
    except FileProblems as problems:
        report = ValidationReport(
            filename,
            rows=problems.rows,
            file_errors=problems.errors,
            notes=file_notes(sheet, None, None, options),
            **described,  # type: ignore[arg-type]
        )
        return report, None, None
    checked = check_rows(found, sheet.data, sheet.rows, options)
    report = ValidationReport(
        filename=filename,
        rows=len(sheet.rows),
        template_errors=found.template_errors,
        error_frame=issues_frame(checked.errors),
        warning_frame=issues_frame([*checked.warnings, *duplicates(found, checked)]),
        duplicate_rows=checked.duplicate_rows,
        file_warnings=file_warnings(found, options),
        notes=file_notes(sheet, found, checked, options),
        **described,  # type: ignore[arg-type]
    )
    return report, found, checked


def run(request: Request, send: Callable[[bytes, bytes], None]) -> None:
    """The child's task (sandbox.run): the report, then maybe the recipients."""
    report, found, checked = check_file(request.source, request.filename, request.options)
    send(wire.REPORT, wire.encode_report(report))
    if not request.deliver or report.has_errors or found is None or checked is None:
        return
    for batch in recipient_batches(found, checked, request.chunk_rows):
        send(wire.CHUNK, wire.encode_table(batch))


@dataclass(frozen=True)
class PreviewRequest:
    source: Path | bytes
    filename: str
    options: FileOptions
    row: int  # the spreadsheet's row number (the header is row 1)


def preview(request: PreviewRequest, send: Callable[[bytes, bytes], None]) -> None:
    """The child's task for a row's preview: its message as IO will show it, or why not."""
    options = request.options
    try:
        sheet = _read(request.source, request.filename, options)
        found = layout(sheet, options)
    except SpreadsheetError as exc:
        send(wire.PREVIEW, wire.encode_preview({"error": exc.message}))
        return
    except FileProblems as problems:
        message = " ".join(e.message for e in problems.errors)
        send(wire.PREVIEW, wire.encode_preview({"error": message}))
        return
    send(wire.PREVIEW, wire.encode_preview(row_preview(found, request.row)))


def row_preview(found: Layout, row: int) -> dict[str, object]:
    """`row`'s message (the first recipient's when `row` is 0)."""
    rows = found.sheet.rows
    first, last = int(rows[0]), int(rows[-1])
    row = row or first
    where = np.flatnonzero(rows == row)
    if not len(where):
        return {
            "error": f"La riga {row} non è tra i destinatari del file: scegli una riga da"
            f" {first} a {last}.",
            "first": first,
            "last": last,
        }
    at = int(where[0])
    chunk = found.sheet.data.iloc[at : at + 1]
    fields = {
        LABELS[name]: cell_text(chunk[position].iloc[0])
        for name, position in found.fields.items()
        if name not in (SUBJECT, MARKDOWN)
    }
    return {
        "row": row,
        "first": first,
        "last": last,
        "subject": str(render(found, chunk, found.subject, SUBJECT)[0]),
        "markdown": str(render(found, chunk, found.text, MARKDOWN)[0]),
        "fields": fields,
        **_payment(found, chunk),
    }


def _payment(found: Layout, chunk: pd.DataFrame) -> dict[str, object]:
    """The row's payment data as the import would store it (None where blank or wrong)."""
    fields = found.fields
    amount = notice = due = send = None
    invalid_after = False
    if AMOUNT in fields:
        column = amounts.amount_column(chunk[fields[AMOUNT]], in_cents=found.amount_in_cents)
        cents = column.cents.iloc[0]
        amount = None if pd.isna(cents) else int(cents)
    if NOTICE_NUMBER in fields:
        notice = str(notice_numbers.notice_column(chunk[fields[NOTICE_NUMBER]]).values.iloc[0])
    if DUE_DATE in fields:
        value = due_dates.due_date_column(chunk[fields[DUE_DATE]]).values.iloc[0]
        due = None if pd.isna(value) else str(value)
    if INVALID_AFTER_DUE_DATE in fields:
        invalid_after = bool(flags.flag_column(chunk[fields[INVALID_AFTER_DUE_DATE]]).values[0])
    if SEND_AFTER in fields:
        stamp = send_dates.send_date_column(chunk[fields[SEND_AFTER]]).stamps.iloc[0]
        send = None if pd.isna(stamp) else stamp.isoformat()
    return {
        "amount": amount,
        "notice_number": notice or None,
        "due_date": due,
        "invalid_after_due_date": invalid_after,
        "send_after": send,
    }
