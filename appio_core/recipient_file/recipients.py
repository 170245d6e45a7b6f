"""The clean recipients of a checked file, a chunk at a time, ready for the database.

Built from the same pass that checked the file: the fiscal codes, amounts, notice numbers
and due dates come normalised from the checks; only subject, text and the other columns'
JSON are made here, a chunk at a time, since rendered texts are most of the memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.content.cells import text_array
from appio_core.recipient_file.checks import render
from appio_core.recipient_file.columns import FISCAL_CODE, MARKDOWN, SUBJECT, Layout
from appio_core.recipient_file.issues import Checked

_TEXT = pa.large_string()
_STAMP = pa.timestamp("us", tz="UTC")
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
        ("invalid_after_due_date", pa.bool_()),  # the notice cannot be paid after it
        ("send_after", _STAMP),  # not sent before; null: at once
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
    invalid_after = None
    if checked.invalid_after is not None:
        invalid_after = pa.array(checked.invalid_after.values, type=pa.bool_())
    send_after = None
    if checked.send_after is not None:
        send_after = pa.array(checked.send_after.stamps, type=_STAMP)
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
            _extra(layout, chunk),
            (
                invalid_after[start:end]
                if invalid_after is not None
                else pa.array(np.zeros(n, dtype=bool), type=pa.bool_())
            ),
            send_after[start:end] if send_after is not None else pa.nulls(n, _STAMP),
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


def _extra(layout: Layout, data: pd.DataFrame) -> pa.Array:
    """The row's other columns as JSON, header to text as shown, for the Excel export.

    Built by pyarrow kernels, one concatenation per chunk: pandas' JSON writer took a
    second per million rows. The cells were already refused if they held a control
    character other than tab and line breaks, so escaping those, quotes and backslashes
    makes valid JSON."""
    own = {
        layout.fields[name] for name in (FISCAL_CODE, SUBJECT, MARKDOWN) if name in layout.fields
    }
    positions = [i for i in range(len(layout.sheet.headers)) if i not in own]
    if not positions or not len(data):
        return pa.array(["{}"] * len(data), type=_TEXT)
    pieces: list[pa.Array | pa.Scalar] = []
    for n, position in enumerate(positions):
        key = json.dumps(layout.header(position), ensure_ascii=False)
        pieces.append(pa.scalar(("{" if n == 0 else '",') + key + ':"', _TEXT))
        pieces.append(_json_string(_whole(text_array(data[position]))))
    pieces.append(pa.scalar('"}', _TEXT))
    return _whole(pc.binary_join_element_wise(*pieces, pa.scalar("", _TEXT)))


_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def _json_string(values: pa.Array) -> pa.Array:
    """The inside of a JSON string; only the rows that need an escape are rewritten."""
    needs = pc.match_substring_regex(values, r'[\\"\n\r\t]')
    if not pc.any(needs).as_py():
        return values
    picked = values.filter(needs)
    for raw, escaped in _JSON_ESCAPES:
        picked = pc.replace_substring(picked, raw, escaped)
    return pc.replace_with_mask(values, needs, _whole(picked))
