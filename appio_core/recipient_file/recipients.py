"""The clean recipients of a checked file, a chunk at a time, ready for the database.

Built from the same pass that checked the file: the fiscal codes, amounts, notice numbers
and due dates come normalised from the checks; only subject, text and the other columns'
JSON are made here, a chunk at a time, since rendered texts are most of the memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.content.cells import text_array
from appio_core.recipient_file.checks import Checked, render
from appio_core.recipient_file.columns import FISCAL_CODE, MARKDOWN, SUBJECT, Layout

_TEXT = pa.large_string()
SCHEMA = pa.schema(
    [
        ("row_number", pa.int64()),  # in the spreadsheet
        ("fiscal_code", _TEXT),
        ("subject", _TEXT),
        ("markdown", _TEXT),
        ("amount", pa.int64()),  # euro cents
        ("notice_number", _TEXT),
        ("due_date", _TEXT),  # ISO-8601 UTC
        ("extra", _TEXT),  # the row's other columns, JSON
    ]
)


def recipient_batches(layout: Layout, checked: Checked, chunk_rows: int) -> Iterator[pa.Table]:
    """Every row of a file without errors, `chunk_rows` at a time, in file order."""
    data, rows = layout.sheet.data, layout.sheet.rows
    assert checked.fiscal_codes is not None
    codes = pa.array(checked.fiscal_codes, type=_TEXT, from_pandas=True)
    amount = _optional(checked.amount.cents if checked.amount else None, pa.int64())
    notice = None
    if checked.notice is not None:
        notice = _null_if_empty(pa.array(checked.notice.values, type=_TEXT, from_pandas=True))
    due = _optional(checked.due.values if checked.due else None, _TEXT)
    for start in range(0, len(data), chunk_rows):
        chunk = data.iloc[start : start + chunk_rows]
        n = len(chunk)
        end = start + n
        columns = [
            pa.array(rows[start:end], type=pa.int64()),
            codes[start:end],
            _whole(render(layout, chunk, layout.subject, SUBJECT)),
            _whole(render(layout, chunk, layout.text, MARKDOWN)),
            amount[start:end] if amount is not None else pa.nulls(n, pa.int64()),
            notice[start:end] if notice is not None else pa.nulls(n, _TEXT),
            due[start:end] if due is not None else pa.nulls(n, _TEXT),
            pa.array(_extra(layout, chunk), type=_TEXT),
        ]
        yield pa.Table.from_arrays(columns, schema=SCHEMA)


def _whole(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _optional(values: pd.Series | None, kind: pa.DataType) -> pa.Array | None:
    if values is None:
        return None
    return pa.array(values, type=kind, from_pandas=True)


def _null_if_empty(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)


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
