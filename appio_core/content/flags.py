"""Yes-or-no cells, such as IO's `invalid_after_due_date`: written «sì»/«no» by an office,
`true`/`false` by IO's and GovIO's own files, VERO/FALSO by Excel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.content.cells import categorical, text_array

FLAG_FORMAT = "valore_si_no_non_valido"
FLAG_ERRORS = (FLAG_FORMAT,)
_YES = pa.array(["sì", "si", "s", "true", "vero", "1", "yes", "y", "x"], type=pa.large_string())
_NO = pa.array(["no", "n", "false", "falso", "0", ""], type=pa.large_string())


def flag_message(code: str, header: str) -> str:
    if code == FLAG_FORMAT:
        return f"Valore non valido per «{header}»: scrivi sì oppure no (o true / false)."
    raise KeyError(code)


@dataclass(frozen=True)
class FlagColumn:
    values: np.ndarray  # bool; a blank cell is «no»
    errors: pd.Series  # categorical of FLAG_ERRORS


def flag_column(column: pd.Series) -> FlagColumn:
    text = pc.utf8_lower(text_array(column))
    yes = pc.is_in(text, value_set=_YES).to_numpy(zero_copy_only=False)
    no = pc.is_in(text, value_set=_NO).to_numpy(zero_copy_only=False)
    error = np.where(yes | no, -1, 0).astype(np.int8)
    return FlagColumn(values=yes, errors=categorical(error, FLAG_ERRORS, column.index))
