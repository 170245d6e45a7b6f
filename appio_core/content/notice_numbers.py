"""pagoPA notice numbers: 18 digits, starting with 0, 1, 2 or 3."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.content.cells import (
    ContentError,
    categorical,
    mask,
    number_cells,
    rows_mask,
    single,
    take,
    text_array,
)

NOTICE_NUMBER_PATTERN = r"^[0123][0-9]{17}$"
NOTICE_FORMAT = "avviso_non_valido"
NOTICE_AS_NUMBER = "avviso_numerico"
NOTICE_ERRORS = (NOTICE_FORMAT, NOTICE_AS_NUMBER)


def notice_message(code: str) -> str:
    if code == NOTICE_AS_NUMBER:
        return (
            "Il numero avviso è salvato come numero e ha perso cifre: formatta la colonna come"
            " testo e incolla di nuovo i 18 caratteri."
        )
    if code == NOTICE_FORMAT:
        return "Il numero avviso deve avere 18 cifre e iniziare con 0, 1, 2 o 3."
    raise KeyError(code)


@dataclass(frozen=True)
class NoticeColumn:
    values: pd.Series  # str, spaces removed; "" where blank
    errors: pd.Series  # categorical of NOTICE_ERRORS
    present: np.ndarray


def notice_column(column: pd.Series) -> NoticeColumn:
    # Excel keeps 15 significant digits: an 18-digit notice number typed as a number is lost.
    is_number, _ = number_cells(column)
    text = text_array(column)
    present = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    well_formed = mask(text, NOTICE_NUMBER_PATTERN)
    # Spaces inside ("3010 0000 ...") cost a regex pass: only for numbers that need it.
    rest = np.flatnonzero(present & ~well_formed)
    if len(rest):
        cleaned = pc.replace_substring_regex(take(text, rest), r"[\s\p{Z}]", "")
        well_formed[rest] = mask(cleaned, NOTICE_NUMBER_PATTERN)
        text = pc.replace_with_mask(text, pa.array(rows_mask(rest, len(text))), cleaned)
    error = np.full(len(column), -1, dtype=np.int8)
    error[present & ~well_formed] = 0
    error[is_number] = 1
    return NoticeColumn(
        values=pd.Series(pd.array(text, dtype="str"), index=column.index),
        errors=categorical(error, NOTICE_ERRORS, column.index),
        present=present,
    )


def check_notice_number(value: str) -> str:
    """The notice number without spaces, or ContentError."""
    checked = notice_column(pd.Series([value], dtype=object))
    code = checked.errors.iloc[0]
    if not checked.present[0]:
        raise ContentError(notice_message(NOTICE_FORMAT), code=NOTICE_FORMAT)
    single(checked.errors, notice_message(code) if isinstance(code, str) else None)
    return str(checked.values.iloc[0])
