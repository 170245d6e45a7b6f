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

from appio_core.recipient_file import wire
from appio_core.recipient_file.checks import Checked, check_rows, duplicates
from appio_core.recipient_file.columns import Layout
from appio_core.recipient_file.guards import SpreadsheetError
from appio_core.recipient_file.layout import FileProblems, layout
from appio_core.recipient_file.options import FileOptions
from appio_core.recipient_file.reader import read_sheet
from appio_core.recipient_file.recipients import recipient_batches
from appio_core.recipient_file.report import FileError, ValidationReport, issues_frame


@dataclass(frozen=True)
class Request:
    source: Path | bytes
    filename: str
    options: FileOptions
    deliver: bool  # send the recipients after the report, if there is no error
    chunk_rows: int


def check_file(
    source: Path | bytes, filename: str, options: FileOptions
) -> tuple[ValidationReport, Layout | None, Checked | None]:
    try:
        sheet = read_sheet(source, filename, options.sheet, options.max_bytes, options.limits)
    except SpreadsheetError as exc:
        return (
            ValidationReport(filename, file_errors=[FileError(exc.code, exc.message)]),
            None,
            None,
        )
    try:
        found = layout(sheet, options)
    except FileProblems as problems:
        report = ValidationReport(filename, rows=problems.rows, file_errors=problems.errors)
        return report, None, None
    checked = check_rows(found, sheet.data, sheet.rows, options)
    report = ValidationReport(
        filename=filename,
        rows=len(sheet.rows),
        template_errors=found.template_errors,
        error_frame=issues_frame(checked.errors),
        warning_frame=issues_frame([*checked.warnings, *duplicates(found, checked)]),
        duplicate_rows=checked.duplicate_rows,
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
