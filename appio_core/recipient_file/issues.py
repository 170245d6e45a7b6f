"""What the row checks found: the normalised columns, and the issues as small tables (one
row per cell with a problem, worded in Italian), built only for the rows that have one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.content import amounts, due_dates, flags, notice_numbers, send_dates
from appio_core.content.cells import cell_text
from appio_core.recipient_file.report import VALUE_SHOWN


@dataclass
class Checked:
    errors: list[pd.DataFrame] = field(default_factory=list)
    warnings: list[pd.DataFrame] = field(default_factory=list)
    fiscal_codes: pd.Series | None = None
    good_code: np.ndarray | None = None
    repeated: np.ndarray | None = None  # among the good codes, those that occur more than once
    amount: amounts.AmountColumn | None = None
    notice: notice_numbers.NoticeColumn | None = None
    due: due_dates.DueDateColumn | None = None
    invalid_after: flags.FlagColumn | None = None
    send_after: send_dates.SendDateColumn | None = None
    duplicate_rows: dict[int, tuple[int, ...]] = field(default_factory=dict)


def issues(
    rows: np.ndarray,
    column: str,
    values: pd.Series,
    codes: pd.Series,
    message: Callable[[str, str], str],
) -> pd.DataFrame:
    """Issues where `codes` is not NaN; `message(code, value)` words each one."""
    where = np.flatnonzero(codes.notna().to_numpy())
    if not len(where):
        return pd.DataFrame()
    picked_codes = codes.iloc[where].astype(object).to_numpy()
    picked = values.iloc[where]
    if picked.dtype == object:  # Excel's own values: numbers, dates
        picked = picked.map(cell_text)
    shown = clipped(pa.array(picked.fillna("").astype("str"), type=pa.large_string()))
    messages = [message(c, v) for c, v in zip(picked_codes, shown, strict=True)]
    return issue_frame(rows[where], column, shown, picked_codes, messages)


def issue_frame(
    rows: np.ndarray,
    column: str,
    values: np.ndarray | list[str],
    codes: np.ndarray | list[str],
    messages: np.ndarray | list[str],
) -> pd.DataFrame:
    # Object columns, not pandas' Arrow strings: the report walks them item by item, and
    # Arrow strings are slow to read one at a time.
    return pd.DataFrame(
        {
            "row": rows,
            "column": pd.Series([column] * len(rows), dtype=object),
            "value": pd.Series(values, dtype=object),
            "code": pd.Series(codes, dtype=object),
            "message": pd.Series(messages, dtype=object),
        }
    )


def clipped(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Values as the report repeats them: a 10,000-character text is shown by its start."""
    long = pc.greater(pc.utf8_length(values), VALUE_SHOWN)
    if pc.any(long).as_py():
        start = pc.utf8_slice_codeunits(values, 0, VALUE_SHOWN - 1)
        text = pa.large_string()
        cut = pc.binary_join_element_wise(start, pa.scalar("…", text), pa.scalar("", text))
        values = pc.if_else(long, cut, values)
    return values.to_numpy(zero_copy_only=False).astype(object)


def always(message: str) -> Callable[[str, str], str]:
    return lambda _code, _value: message
