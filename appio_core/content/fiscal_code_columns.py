"""The codice fiscale check over a whole column at once (numpy, pandas and pyarrow).

A flow can carry a million codes, and a per-code Python check (python-codicefiscale does
about 1,000 a second) would take minutes. Here the codes that pass IO's pattern become a
(rows x 16) byte matrix, and the check character, the birth date and the birthplace are
computed with numpy over the whole matrix. `validate` runs this same check on one value. The
rules' constants and messages are in fiscal_code.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.content.fiscal_code import (
    ERROR_CODES,
    IMPOSSIBLE_BIRTH_DATE,
    LENGTH,
    MISSING,
    PATTERN,
    TEST_CITIZEN,
    WARNING_CODES,
    WRONG_CHARACTERS,
    WRONG_CHECK_CHARACTER,
    WRONG_LENGTH,
    FiscalCodeError,
    message,
)

# Trimmed before the one-value fast path: ASCII spaces that pyarrow's trim also removes.
_ASCII_SPACES = " \t\r\n"
_SHAPE = re.compile(PATTERN)


def validate(value: str) -> str:
    """The normalised code, or FiscalCodeError. An unknown birthplace is not an error.

    A well-formed ASCII code (the API's and the forms' usual case) goes straight to the
    column check's own numpy rules on a 1 x 16 matrix: building a pandas Series and the
    pyarrow arrays cost about 2.7 ms a code, the rules themselves tens of microseconds.
    Anything else, and any code they refuse, takes the whole column check, so that the
    normalisation and the messages stay the column's."""
    if value.isascii():
        code = value.strip(_ASCII_SPACES).upper()
        if code != TEST_CITIZEN and _SHAPE.fullmatch(code):
            matrix = np.frombuffer(code.encode("ascii"), dtype=np.uint8).reshape(1, LENGTH)
            if (
                _plausible_birth_dates(matrix)[0]
                and _check_characters(matrix)[0] == matrix[0, LENGTH - 1]
            ):
                return code
    checked = check_column(pd.Series([value], dtype="str"))
    error = checked.errors.iloc[0]
    if isinstance(error, str):
        raise FiscalCodeError(message(error, checked.values.iloc[0]), code=error)
    return str(checked.values.iloc[0])


@dataclass(frozen=True)
class ColumnCheck:
    """Per row: the normalised code, an error code or NaN, a warning code or NaN.

    `errors` and `warnings` are categorical Series aligned with the input's index.
    """

    values: pd.Series
    errors: pd.Series
    warnings: pd.Series


# The check character: letters and digits in odd places (1st, 3rd, ...) weigh by this table,
# those in even places by their rank (A=0, 0=0); the sum modulo 26 is the letter.
# Source: DM 23/12/1976, allegato; digits weigh as the first ten letters.
_ODD_WEIGHTS = (
    1,
    0,
    5,
    7,
    9,
    13,
    15,
    17,
    19,
    21,
    2,
    4,
    18,
    20,
    11,
    3,
    6,
    8,
    12,
    14,
    16,
    10,
    22,
    25,
    24,
    23,
)
_OMOCODIA = "LMNPQRSTUV"  # the letters standing for 0-9
_MONTHS = "ABCDEHLMPRST"
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int16)


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    odd = np.zeros(256, dtype=np.uint8)
    even = np.zeros(256, dtype=np.uint8)
    digit = np.zeros(256, dtype=np.int16)
    month = np.zeros(256, dtype=np.int16)
    for rank, letter in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        odd[ord(letter)] = _ODD_WEIGHTS[rank]
        even[ord(letter)] = rank
    for number in range(10):
        odd[ord(str(number))] = _ODD_WEIGHTS[number]
        even[ord(str(number))] = number
        digit[ord(str(number))] = number
        digit[ord(_OMOCODIA[number])] = number
    for rank, letter in enumerate(_MONTHS, start=1):
        month[ord(letter)] = rank
    return odd, even, digit, month


_ODD, _EVEN, _DIGIT, _MONTH = _tables()
_ODD_PLACES = np.arange(0, 15, 2)
_EVEN_PLACES = np.arange(1, 15, 2)


@cache
def _known_birthplaces() -> np.ndarray:
    """A lookup by (letter, number) of the Belfiore codes in data/belfiore_codes.txt."""
    known = np.zeros(26 * 1000, dtype=bool)
    text = (
        resources.files("appio_core.content").joinpath("data/belfiore_codes.txt").read_text("ascii")
    )
    for line in text.splitlines():
        if line and not line.startswith("#"):
            known[(ord(line[0]) - 65) * 1000 + int(line[1:])] = True
    return known


def normalize_column(column: pd.Series) -> pd.Series:
    """`normalize` over a column; cells that are not text (Excel numbers, blanks) become text."""
    text, _ = _normalized(column)
    return pd.Series(pd.array(text, dtype="str"), index=column.index, dtype="str")


def _normalized(column: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """The normalised codes and, per row, whether they match IO's pattern."""
    # pyarrow's kernels, not pandas' .str: pandas runs regex replacements in Python.
    # One expression, so that each intermediate copy of the column is freed as soon as the
    # next one is made: two copies at a time, not three.
    text = pc.utf8_upper(pc.utf8_trim_whitespace(_whole(column.fillna("").astype("str"))))
    shaped = _matches(text)
    # Dropping inner spaces costs a regex pass; only codes that fail the pattern can have any.
    rest = np.flatnonzero(~shaped)
    if len(rest):
        fixed = pc.replace_substring_regex(_take(text, rest), r"[\s\p{Z}]+", "")
        mask = np.zeros(len(text), dtype=bool)
        mask[rest] = True
        text = pc.replace_with_mask(text, pa.array(mask), fixed)
        shaped[rest] = _matches(fixed)
    return text, shaped


def _whole(column: pd.Series) -> pa.Array:
    """The column as one contiguous array: a large file's column comes in chunks, which
    byte_matrix would otherwise copy into one, once for the check and once for the repeats."""
    text = pa.array(column, type=pa.large_string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _take(text: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """The rows as one contiguous array: columns read from large files come in chunks, and
    replace_with_mask takes its replacements only whole."""
    taken = text.take(pa.array(rows))
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


def _matches(text: pa.Array) -> np.ndarray:
    return pc.match_substring_regex(text, PATTERN).to_numpy(zero_copy_only=False).copy()


def check_column(column: pd.Series) -> ColumnCheck:
    text, shaped = _normalized(column)
    n = len(text)
    error = np.full(n, -1, dtype=np.int8)  # index into ERROR_CODES, -1 for none
    warning = np.full(n, -1, dtype=np.int8)

    lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    error[lengths == 0] = ERROR_CODES.index(MISSING)
    error[(lengths != LENGTH) & (lengths != 0)] = ERROR_CODES.index(WRONG_LENGTH)
    error[(lengths == LENGTH) & ~shaped] = ERROR_CODES.index(WRONG_CHARACTERS)
    shaped &= pc.not_equal(text, TEST_CITIZEN).to_numpy(zero_copy_only=False)

    rows = np.flatnonzero(shaped)
    if len(rows):
        # Usually every code has the shape: the matrix is then a view of the text's bytes,
        # without a copy of the column (a million codes are 24 MB of text and offsets).
        codes = byte_matrix(text if len(rows) == n else text.take(pa.array(rows)))
        bad_date = ~_plausible_birth_dates(codes)
        bad_check = _check_characters(codes) != codes[:, 15]
        unknown_place = ~_known_birthplaces()[_birthplace_keys(codes)]
        error[rows[bad_check]] = ERROR_CODES.index(WRONG_CHECK_CHARACTER)
        error[rows[bad_date]] = ERROR_CODES.index(IMPOSSIBLE_BIRTH_DATE)
        warning[rows[unknown_place & ~bad_date & ~bad_check]] = 0

    index = column.index
    return ColumnCheck(
        values=pd.Series(pd.array(text, dtype="str"), index=index, dtype="str"),
        errors=_categorical(error, ERROR_CODES, index),
        warnings=_categorical(warning, WARNING_CODES, index),
    )


def byte_matrix(codes: pa.Array | pd.Series) -> np.ndarray:
    """Codes known to be 16 ASCII characters each (they passed the check), as a (rows x 16)
    uint8 matrix."""
    if isinstance(codes, pd.Series):
        codes = pa.array(codes, type=pa.large_string())
    if isinstance(codes, pa.ChunkedArray):
        # combine_chunks copies even a single chunk.
        codes = codes.chunk(0) if codes.num_chunks == 1 else codes.combine_chunks()
    _, offsets_buffer, data_buffer = codes.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[codes.offset : codes.offset + 2]
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    return data[offsets[0] : offsets[0] + len(codes) * LENGTH].reshape(-1, LENGTH)


def _categorical(codes: np.ndarray, names: tuple[str, ...], index: pd.Index) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(names)), index=index)


def _check_characters(codes: np.ndarray) -> np.ndarray:
    total = _ODD[codes[:, _ODD_PLACES]].sum(axis=1, dtype=np.int16)
    total += _EVEN[codes[:, _EVEN_PLACES]].sum(axis=1, dtype=np.int16)
    return (total % 26 + ord("A")).astype(np.uint8)


def _plausible_birth_dates(codes: np.ndarray) -> np.ndarray:
    """True where the date exists: day 1-31 for men, 41-71 for women, in a real month."""
    year = _DIGIT[codes[:, 6]] * 10 + _DIGIT[codes[:, 7]]
    month = _MONTH[codes[:, 8]]
    day = _DIGIT[codes[:, 9]] * 10 + _DIGIT[codes[:, 10]]
    day = np.where(day > 40, day - 40, day)
    # Only two year digits: every year divisible by 4 is a leap year in one of the two
    # centuries it can mean (2000 included), so 29 February is possible for those.
    longest = _DAYS_IN_MONTH[month] + ((month == 2) & (year % 4 == 0))
    return (day >= 1) & (day <= longest)


def _birthplace_keys(codes: np.ndarray) -> np.ndarray:
    number = _DIGIT[codes[:, 12]] * 100 + _DIGIT[codes[:, 13]] * 10 + _DIGIT[codes[:, 14]]
    return (codes[:, 11].astype(np.int64) - ord("A")) * 1000 + number
