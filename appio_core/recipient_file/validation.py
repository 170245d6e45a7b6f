"""A flow's recipient file: the entry points the pages, the CLI and the flow importer use.

The file is read and checked in a sandboxed child process (sandbox.py, processing.py): a
hostile spreadsheet can exhaust the child, never the app. `validate_file` returns the
report and never raises for bad data; `open_recipient_file` gives the report and then, for
a file without errors, its recipients in chunks from the same single pass.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from appio_core.errors import InvalidInput
from appio_core.recipient_file import sandbox, wire
from appio_core.recipient_file.options import FileLimits, FileOptions
from appio_core.recipient_file.processing import PreviewRequest, Request
from appio_core.recipient_file.report import FileError, ValidationReport

Source = Path | bytes | BinaryIO

UNREADABLE = "file_non_leggibile"
_TASK = "appio_core.recipient_file.processing:run"
_PREVIEW_TASK = "appio_core.recipient_file.processing:preview"

__all__ = [
    "FileLimits",
    "FileOptions",
    "OpenedFile",
    "RowPreview",
    "open_recipient_file",
    "preview_row",
    "validate_file",
]


class OpenedFile:
    """A file being read in the sandbox: its report, then its recipients."""

    def __init__(self, channel: sandbox.Channel, report: ValidationReport) -> None:
        self._channel = channel
        self.report = report

    def recipients(self) -> Iterator[pa.Table]:
        """The rows, in file order, in chunks (schema: recipients.SCHEMA). Only for a file
        opened with `deliver=True` and whose report has no errors."""
        if self.report.has_errors:
            raise InvalidInput("Il file contiene errori: correggili prima di importarlo.")
        while True:
            try:
                kind, body = self._channel.receive()
                if kind == sandbox.END:
                    return
                if kind != wire.CHUNK:
                    raise wire.WireError("unexpected frame")
                yield wire.decode_table(body)
            except (sandbox.SandboxFailure, wire.WireError) as exc:
                raise InvalidInput(_unreadable(exc).message) from None

    @property
    def child_peak_rss_kb(self) -> int:
        """The child's peak resident memory, known once every recipient was received."""
        return self._channel.peak_rss_kb


@contextlib.contextmanager
def open_recipient_file(
    source: Source,
    filename: str,
    options: FileOptions,
    deliver: bool = False,
    chunk_rows: int = 50_000,
) -> Iterator[OpenedFile]:
    limits = options.limits
    payload = _payload(source, options.max_bytes)
    if isinstance(payload, FileError):
        yield OpenedFile(_NoChannel(), ValidationReport(filename, file_errors=[payload]))
        return
    request = Request(payload, filename, options, deliver, chunk_rows)
    process_limits = sandbox.Limits(limits.memory_bytes, limits.cpu_seconds, limits.wall_seconds)
    with sandbox.run(_TASK, request, process_limits) as channel:
        try:
            kind, body = channel.receive()
            if kind != wire.REPORT:
                raise wire.WireError("the report must come first")
            report = wire.decode_report(body)
        except (sandbox.SandboxFailure, wire.WireError) as exc:
            report = ValidationReport(filename, file_errors=[_unreadable(exc)])
        yield OpenedFile(channel, report)


def validate_file(source: Source, filename: str, options: FileOptions) -> ValidationReport:
    with open_recipient_file(source, filename, options) as opened:
        return opened.report


@dataclass(frozen=True)
class RowPreview:
    """One row's message as IO will show it (subject, Markdown text, the payment fields as
    written), or `error` saying why there is none."""

    row: int
    subject: str = ""
    markdown: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    first: int | None = None  # the file's first and last recipient rows
    last: int | None = None
    error: str | None = None
    # The payment data as the import stores it: cents, digits, ISO-8601 UTC.
    amount: int | None = None
    notice_number: str | None = None
    due_date: str | None = None


def preview_row(source: Source, filename: str, options: FileOptions, row: int) -> RowPreview:
    """Reads the file again in the sandbox (no row checks) and renders `row`'s message
    (the first recipient's when `row` is 0)."""
    payload = _payload(source, options.max_bytes)
    if isinstance(payload, FileError):
        return RowPreview(row, error=payload.message)
    limits = options.limits
    process_limits = sandbox.Limits(limits.memory_bytes, limits.cpu_seconds, limits.wall_seconds)
    request = PreviewRequest(payload, filename, options, row)
    with sandbox.run(_PREVIEW_TASK, request, process_limits) as channel:
        try:
            kind, body = channel.receive()
            if kind != wire.PREVIEW:
                raise wire.WireError("a preview was expected")
            data = wire.decode_preview(body)
        except (sandbox.SandboxFailure, wire.WireError) as exc:
            return RowPreview(row, error=_unreadable(exc).message)
    raw_fields = data.get("fields")
    fields = raw_fields if isinstance(raw_fields, dict) else {}
    return RowPreview(
        row=row,
        subject=str(data.get("subject", "")),
        markdown=str(data.get("markdown", "")),
        fields={str(k): str(v) for k, v in fields.items()},
        first=_number(data.get("first")),
        last=_number(data.get("last")),
        error=None if data.get("error") is None else str(data["error"]),
        amount=_number(data.get("amount")),
        notice_number=_text(data.get("notice_number")),
        due_date=_text(data.get("due_date")),
    )


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _payload(source: Source, max_bytes: int) -> Path | bytes | FileError:
    """What the child reads: a path as it is (the child reads it itself), bytes as given;
    from a stream no more than one byte past the limit, so the child can say it is too big."""
    if isinstance(source, Path | bytes):
        return source
    content = source.read(max_bytes + 1)
    if not isinstance(content, bytes):
        return FileError(UNREADABLE, "Il file non si riesce a leggere: caricalo di nuovo.")
    return content


def _unreadable(failure: Exception) -> FileError:
    reason = failure.reason if isinstance(failure, sandbox.SandboxFailure) else "errore"
    why = {
        "tempo": "la lettura ha superato il tempo massimo",
        "memoria": "la lettura ha superato la memoria disponibile",
    }.get(reason, "la lettura si è interrotta")
    return FileError(
        UNREADABLE,
        f"Il file è troppo grande o complesso da leggere ({why}): controlla che contenga solo"
        " l'elenco dei destinatari, con i dati a partire dalla cella A1, oppure salvalo come"
        " CSV e caricalo di nuovo.",
    )


class _NoChannel(sandbox.Channel):
    def __init__(self) -> None:
        self.peak_rss_kb = 0
