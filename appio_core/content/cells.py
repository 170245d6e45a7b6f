"""How spreadsheet cells read as text, and the column helpers every content rule shares."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.errors import InvalidInput


class ContentError(InvalidInput):
    """A subject, text, amount, notice number or due date that cannot be sent."""

    code = "contenuto_non_valido"


def thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def text_array(column: pd.Series) -> pa.Array:
    """The column as trimmed text; blanks become "". Excel numbers that are whole print bare."""
    if column.dtype == object:
        column = column.map(cell_text)
    array = pa.array(column.fillna("").astype("str"), type=pa.large_string())
    return pc.utf8_trim_whitespace(array)


def cell_text(value: Any) -> str:
    """How a spreadsheet cell reads as text, for templates and for columns read as text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "VERO" if value else "FALSO"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def number_cells(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """For a column read from Excel: which cells are numbers, and their values."""
    if column.dtype != object:
        return np.zeros(len(column), dtype=bool), np.zeros(len(column))
    is_number = column.map(
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v == v
    ).to_numpy(dtype=bool)
    values = np.zeros(len(column))
    values[is_number] = column[is_number].astype(float).to_numpy()
    return is_number, values


def categorical(codes: np.ndarray, names: tuple[str, ...], index: pd.Index) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(names)), index=index)


def single(column_result: pd.Series, message: str | None) -> None:
    code = column_result.iloc[0]
    if isinstance(code, str):
        raise ContentError(message or code, code=code)


def take(text: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """The rows as one contiguous array: columns read from large files come in chunks, and
    replace_with_mask takes its replacements only whole."""
    taken = text.take(pa.array(rows))
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


def rows_mask(rows: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return mask


def mask(text: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False).copy()
