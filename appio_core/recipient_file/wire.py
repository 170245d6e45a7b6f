"""What a sandboxed child sends back: the report and the recipients, as data only.

JSON for the report's small parts, Arrow IPC for its issue tables and for the recipients.
Neither can carry code, unlike a pickle, so a child subverted by a crafted file can at worst
lie about the file, never act in the parent.
"""

from __future__ import annotations

import json
import struct

import pandas as pd
import pyarrow as pa

from appio_core.recipient_file.report import (
    ISSUE_COLUMNS,
    FileError,
    ValidationReport,
    issues_frame,
)

REPORT = b"R"
CHUNK = b"C"
PREVIEW = b"V"
_LENGTH = struct.Struct("<Q")
_ISSUE_SCHEMA = pa.schema(
    [("row", pa.int64())] + [(name, pa.large_string()) for name in ISSUE_COLUMNS[1:]]
)


class WireError(Exception):
    """A frame that does not decode: the child is not to be believed."""


def encode_table(table: pa.Table | pa.RecordBatch) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write(table)
    return sink.getvalue().to_pybytes()


def decode_table(body: bytes | memoryview) -> pa.Table:
    try:
        return pa.ipc.open_stream(pa.py_buffer(body)).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise WireError(str(exc)) from None


def encode_report(report: ValidationReport) -> bytes:
    head = {
        "filename": report.filename,
        "rows": report.rows,
        "file_errors": [[e.code, e.message] for e in report.file_errors],
        "template_errors": [[e.code, e.message] for e in report.template_errors],
        "duplicate_rows": [[k, list(v)] for k, v in report.duplicate_rows.items()],
        "columns": [[header, role] for header, role in report.columns],
        "readings": report.readings,
        "header_row": report.header_row,
        "file_warnings": [[e.code, e.message] for e in report.file_warnings],
        "notes": report.notes,
    }
    parts = [json.dumps(head).encode()]
    parts += [encode_table(_issues_table(f)) for f in (report.error_frame, report.warning_frame)]
    return b"".join(_LENGTH.pack(len(p)) + p for p in parts)


def decode_report(body: bytes) -> ValidationReport:
    parts: list[bytes] = []
    offset = 0
    try:
        while offset < len(body):
            (size,) = _LENGTH.unpack_from(body, offset)
            parts.append(body[offset + 8 : offset + 8 + size])
            offset += 8 + size
        raw, errors, warnings = parts
        head = json.loads(raw)
        return ValidationReport(
            filename=str(head["filename"]),
            rows=int(head["rows"]),
            file_errors=[FileError(str(c), str(m)) for c, m in head["file_errors"]],
            template_errors=[FileError(str(c), str(m)) for c, m in head["template_errors"]],
            error_frame=_issues_frame(decode_table(errors)),
            warning_frame=_issues_frame(decode_table(warnings)),
            duplicate_rows={int(k): tuple(int(r) for r in v) for k, v in head["duplicate_rows"]},
            columns=[(str(h), str(r)) for h, r in head.get("columns", [])],
            readings=[str(r) for r in head.get("readings", [])],
            header_row=int(head.get("header_row", 1)),
            file_warnings=[FileError(str(c), str(m)) for c, m in head.get("file_warnings", [])],
            notes=[str(n) for n in head.get("notes", [])],
        )
    except (ValueError, KeyError, TypeError, struct.error) as exc:
        raise WireError(str(exc)) from None


def encode_preview(preview: dict[str, object]) -> bytes:
    return json.dumps(preview, ensure_ascii=False).encode()


def decode_preview(body: bytes) -> dict[str, object]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise WireError(str(exc)) from None
    if not isinstance(data, dict):
        raise WireError("a preview is an object")
    return data


def _issues_table(frame: pd.DataFrame) -> pa.Table:
    columns = [pa.array(frame["row"].to_numpy(dtype="int64"), type=pa.int64())]
    for name in ISSUE_COLUMNS[1:]:
        values = frame[name].to_numpy(dtype=object)
        columns.append(pa.array(values, type=pa.large_string(), from_pandas=True))
    return pa.Table.from_arrays(columns, schema=_ISSUE_SCHEMA)


def _issues_frame(table: pa.Table) -> pd.DataFrame:
    if table.schema != _ISSUE_SCHEMA:
        raise WireError("unexpected issue table")
    if not table.num_rows:
        return issues_frame([])
    # Object columns, as the checks build them: the report reads them item by item.
    frame = pd.DataFrame(
        {
            name: (
                table.column(name).to_numpy()
                if name == "row"
                else pd.Series(table.column(name).to_numpy(zero_copy_only=False), dtype=object)
            )
            for name in ISSUE_COLUMNS
        }
    )
    return frame
