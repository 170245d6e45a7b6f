"""What a message may carry: subject and text lengths, payment data, due date.

Each rule exists twice with one implementation: a column function for files (pyarrow kernels
over the whole column, a million rows in well under a second) and a single-value function for
the "Nuovo" form, which runs the column function on one value and raises its error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.errors import InvalidInput

# IO's own limits (NewMessage in ../shared/io-api): the operators' rules may only be stricter.
IO_SUBJECT_MIN = 10
IO_SUBJECT_MAX = 120
IO_TEXT_MIN = 80
IO_TEXT_MAX = 10_000
IO_MAX_AMOUNT = 9_999_999_999  # euro cents
NOTICE_NUMBER_PATTERN = r"^[0123][0-9]{17}$"
SOURCE_TIME_ZONE = ZoneInfo("Europe/Rome")

SUBJECT_MISSING = "oggetto_mancante"
SUBJECT_TOO_SHORT = "oggetto_corto"
SUBJECT_TOO_LONG = "oggetto_lungo"
TEXT_MISSING = "testo_mancante"
TEXT_TOO_SHORT = "testo_corto"
TEXT_TOO_LONG = "testo_lungo"
AMOUNT_FORMAT = "importo_non_valido"
AMOUNT_TOO_LOW = "importo_nullo"
AMOUNT_TOO_HIGH = "importo_troppo_alto"
NOTICE_FORMAT = "avviso_non_valido"
NOTICE_AS_NUMBER = "avviso_numerico"
DUE_DATE_FORMAT = "scadenza_non_valida"
DUE_DATE_PAST = "scadenza_passata"  # a warning: the message can still be sent

AMOUNT_ERRORS = (AMOUNT_FORMAT, AMOUNT_TOO_LOW, AMOUNT_TOO_HIGH)
NOTICE_ERRORS = (NOTICE_FORMAT, NOTICE_AS_NUMBER)
DUE_DATE_ERRORS = (DUE_DATE_FORMAT,)
DUE_DATE_WARNINGS = (DUE_DATE_PAST,)


class ContentError(InvalidInput):
    """A subject, text, amount, notice number or due date that cannot be sent."""

    code = "contenuto_non_valido"


@dataclass(frozen=True)
class ContentRules:
    """Length limits, in characters; by default the operators' rule (10-120, 120-10,000)."""

    subject_min: int = 10
    subject_max: int = 120
    text_min: int = 120
    text_max: int = 10_000

    def __post_init__(self) -> None:
        if not IO_SUBJECT_MIN <= self.subject_min <= self.subject_max <= IO_SUBJECT_MAX:
            raise InvalidInput(
                f"Limiti dell'oggetto non validi: devono stare tra {IO_SUBJECT_MIN} e"
                f" {IO_SUBJECT_MAX} caratteri, con il minimo non oltre il massimo."
            )
        if not IO_TEXT_MIN <= self.text_min <= self.text_max <= IO_TEXT_MAX:
            raise InvalidInput(
                f"Limiti del testo non validi: devono stare tra {IO_TEXT_MIN} e"
                f" {_thousands(IO_TEXT_MAX)} caratteri (i limiti di IO), con il minimo"
                " non oltre il massimo."
            )


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def format_cents(cents: int) -> str:
    """Euro cents the Italian way: 123456 -> '1.234,56 €'."""
    return f"{_thousands(cents // 100)},{cents % 100:02d} €"


def length_message(code: str, length: int, rules: ContentRules) -> str:
    if code == SUBJECT_MISSING:
        return "Manca l'oggetto del messaggio."
    if code == TEXT_MISSING:
        return "Manca il testo del messaggio."
    if code == SUBJECT_TOO_SHORT:
        return (
            f"L'oggetto è troppo corto: ha {length} caratteri, ne servono almeno"
            f" {rules.subject_min}."
        )
    if code == SUBJECT_TOO_LONG:
        return (
            f"L'oggetto è troppo lungo: ha {length} caratteri, al massimo"
            f" {rules.subject_max}: accorcialo."
        )
    if code == TEXT_TOO_SHORT:
        return (
            f"Il testo è troppo corto: ha {length} caratteri, ne servono almeno"
            f" {rules.text_min}: aggiungi dettagli."
        )
    if code == TEXT_TOO_LONG:
        return (
            f"Il testo è troppo lungo: ha {_thousands(length)} caratteri, al massimo"
            f" {_thousands(rules.text_max)}: accorcialo."
        )
    raise KeyError(code)


def length_codes(lengths: np.ndarray, minimum: int, maximum: int, subject: bool) -> np.ndarray:
    """Per row: an error code for a length outside minimum..maximum, or None."""
    missing, short, long = (
        (SUBJECT_MISSING, SUBJECT_TOO_SHORT, SUBJECT_TOO_LONG)
        if subject
        else (TEXT_MISSING, TEXT_TOO_SHORT, TEXT_TOO_LONG)
    )
    codes = np.full(len(lengths), None, dtype=object)
    codes[lengths < minimum] = short
    codes[lengths > maximum] = long
    codes[lengths == 0] = missing
    return codes


def check_subject(value: str, rules: ContentRules | None = None) -> str:
    """The subject without surrounding spaces, or ContentError."""
    rules = rules or ContentRules()
    return _check_length(value, rules, subject=True)


def check_text(value: str, rules: ContentRules | None = None) -> str:
    """The text (markdown) without surrounding spaces, or ContentError."""
    rules = rules or ContentRules()
    return _check_length(value, rules, subject=False)


def _check_length(value: str, rules: ContentRules, subject: bool) -> str:
    value = value.strip()
    limits = (rules.subject_min, rules.subject_max) if subject else (rules.text_min, rules.text_max)
    length = text_length(value)
    code = length_codes(np.array([length]), *limits, subject=subject)[0]
    if code is not None:
        raise ContentError(length_message(code, length, rules), code=code)
    return value


# IO checks lengths in JavaScript, where a character beyond the Basic Multilingual Plane (most
# emoji) counts twice: 120 "characters" with an emoji in them are 121 for IO, and refused.
_ASTRAL = r"[\x{10000}-\x{10FFFF}]"


def text_length(value: str) -> int:
    """Length as IO counts it: UTF-16 code units."""
    return len(value.encode("utf-16-le")) // 2


def text_lengths(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """`text_length` over a column; the regex runs only on the rows that are not plain ASCII."""
    lengths = pc.utf8_length(values).to_numpy(zero_copy_only=False).astype(np.int64)
    rest = np.flatnonzero(~pc.string_is_ascii(values).to_numpy(zero_copy_only=False))
    if len(rest):
        astral = pc.count_substring_regex(_take(values, rest), _ASTRAL)
        lengths[rest] += astral.to_numpy(zero_copy_only=False)
    return lengths


# ---- column helpers --------------------------------------------------------------------------


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


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """For a column read from Excel: which cells are numbers, and their values."""
    if column.dtype != object:
        return np.zeros(len(column), dtype=bool), np.zeros(len(column))
    is_number = column.map(
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v == v
    ).to_numpy(dtype=bool)
    values = np.zeros(len(column))
    values[is_number] = column[is_number].astype(float).to_numpy()
    return is_number, values


def _categorical(codes: np.ndarray, names: tuple[str, ...], index: pd.Index) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(names)), index=index)


def _single(column_result: pd.Series, message: str | None) -> None:
    code = column_result.iloc[0]
    if isinstance(code, str):
        raise ContentError(message or code, code=code)


# ---- amounts -----------------------------------------------------------------------------------

# After removing spaces, "€" and "EUR": 1.234,56 / 1234,56 / 1234 / 12.5 (a dot with one or two
# decimals is a decimal point; with three digits after it, it separates thousands: 1.234 is
# one thousand two hundred thirty-four euro, the Italian reading).
_AMOUNT_JUNK = r"(?i)[\s\p{Z}€]|eur(o)?"
_AMOUNT = (
    r"^(?:[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]{1,2})?|[0-9]+(?:,[0-9]{1,2})?|[0-9]+\.[0-9]{1,2})$"
)


def amount_message(code: str, max_amount: int | None) -> str:
    if code == AMOUNT_FORMAT:
        return (
            "Importo non valido: scrivilo in euro, come 1.234,56 o 12,50, senza segno e con"
            " al massimo due decimali."
        )
    if code == AMOUNT_TOO_LOW:
        return "L'importo deve essere di almeno 0,01 €."
    if code == AMOUNT_TOO_HIGH:
        limit = max_amount if max_amount is not None else IO_MAX_AMOUNT
        return f"L'importo supera il massimo consentito per il servizio ({format_cents(limit)})."
    raise KeyError(code)


@dataclass(frozen=True)
class AmountColumn:
    cents: pd.Series  # Int64, <NA> where blank or wrong
    errors: pd.Series  # categorical of AMOUNT_ERRORS
    present: np.ndarray  # the cell is not blank


def amount_column(column: pd.Series, max_amount: int | None = None) -> AmountColumn:
    limit = IO_MAX_AMOUNT if max_amount is None else min(max_amount, IO_MAX_AMOUNT)
    n = len(column)
    is_number, numbers = _numbers(column)
    text = text_array(column)
    present = pc.not_equal(text, "").to_numpy(zero_copy_only=False) | is_number
    well_formed = _mask(text, _AMOUNT) & ~is_number
    # Removing "€", "EUR" and spaces costs a regex pass: only for amounts that need it.
    rest = np.flatnonzero(present & ~well_formed & ~is_number)
    if len(rest):
        cleaned = pc.replace_substring_regex(_take(text, rest), _AMOUNT_JUNK, "")
        well_formed[rest] = _mask(cleaned, _AMOUNT)
        text = pc.replace_with_mask(text, pa.array(_rows_mask(rest, n)), cleaned)

    euros = np.full(n, np.nan)
    if well_formed.any():
        euros[well_formed] = _euros(text.filter(pa.array(well_formed)))
    euros[is_number] = numbers[is_number]

    cents_float = np.round(euros * 100)
    # A number cell with a third decimal (12.345) has no exact amount in cents.
    exact = ~is_number | (np.abs(euros * 100 - cents_float) < 1e-6)
    error = np.full(n, -1, dtype=np.int8)
    error[present & (~(well_formed | is_number) | ~exact | (euros < 0))] = 0
    valued = present & (error < 0)
    error[valued & (cents_float < 1)] = 1
    error[valued & (cents_float > limit)] = 2
    ok = present & (error < 0)
    cents = pd.array(np.where(ok, cents_float, 0).astype(np.int64), dtype="Int64")
    cents[~ok] = pd.NA
    return AmountColumn(
        cents=pd.Series(cents, index=column.index),
        errors=_categorical(error, AMOUNT_ERRORS, column.index),
        present=present,
    )


def _euros(amounts: pa.Array) -> np.ndarray:
    """Well-formed amounts (see _AMOUNT) as euro floats, exact to the cent at these sizes."""
    # Italian "1.234,56": drop thousands dots, the comma becomes the decimal point. A dot is a
    # decimal point exactly when no comma follows and one or two digits do ("12.5").
    dot = pc.find_substring(amounts, ".")
    if pc.all(pc.equal(dot, -1)).as_py():  # the common case, "12,50": one replacement only
        return _float(pc.replace_substring(amounts, ",", "."))
    after_dot = pc.subtract(pc.binary_length(amounts), dot)
    dot_decimal = pc.and_(
        pc.invert(pc.match_substring(amounts, ",")),
        pc.and_(pc.not_equal(dot, -1), pc.less_equal(after_dot, 3)),
    )
    italian = pc.replace_substring(pc.replace_substring(amounts, ".", ""), ",", ".")
    return _float(pc.if_else(dot_decimal, amounts, italian))


def _float(canonical: pa.Array) -> np.ndarray:
    return pc.cast(canonical, pa.float64()).to_numpy(zero_copy_only=False)


def _take(text: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """The rows as one contiguous array: columns read from large files come in chunks, and
    replace_with_mask takes its replacements only whole."""
    taken = text.take(pa.array(rows))
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


def _rows_mask(rows: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return mask


def parse_amount(value: str | int | float, max_amount: int | None = None) -> int:
    """An amount written the Italian way ("1.234,56", "€ 12,50", "12.5") in euro cents.

    `max_amount` is the service's maximum in cents (IO's own 9,999,999,999 when None).
    """
    checked = amount_column(pd.Series([value], dtype=object), max_amount)
    if not checked.present[0]:
        raise ContentError("Manca l'importo.", code=AMOUNT_FORMAT)
    code = checked.errors.iloc[0]
    _single(checked.errors, amount_message(code, max_amount) if isinstance(code, str) else None)
    return int(checked.cents.iloc[0])


def _mask(text: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False).copy()


# ---- notice numbers ----------------------------------------------------------------------------


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
    is_number, _ = _numbers(column)
    text = text_array(column)
    present = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    well_formed = _mask(text, NOTICE_NUMBER_PATTERN)
    # Spaces inside ("3010 0000 ...") cost a regex pass: only for numbers that need it.
    rest = np.flatnonzero(present & ~well_formed)
    if len(rest):
        cleaned = pc.replace_substring_regex(_take(text, rest), r"[\s\p{Z}]", "")
        well_formed[rest] = _mask(cleaned, NOTICE_NUMBER_PATTERN)
        text = pc.replace_with_mask(text, pa.array(_rows_mask(rest, len(text))), cleaned)
    error = np.full(len(column), -1, dtype=np.int8)
    error[present & ~well_formed] = 0
    error[is_number] = 1
    return NoticeColumn(
        values=pd.Series(pd.array(text, dtype="str"), index=column.index),
        errors=_categorical(error, NOTICE_ERRORS, column.index),
        present=present,
    )


def check_notice_number(value: str) -> str:
    """The notice number without spaces, or ContentError."""
    checked = notice_column(pd.Series([value], dtype=object))
    code = checked.errors.iloc[0]
    if not checked.present[0]:
        raise ContentError(notice_message(NOTICE_FORMAT), code=NOTICE_FORMAT)
    _single(checked.errors, notice_message(code) if isinstance(code, str) else None)
    return str(checked.values.iloc[0])


# ---- due dates ---------------------------------------------------------------------------------

_DATE_ITALIAN = (
    r"^(?P<day>[0-9]{1,2})[/.-](?P<month>[0-9]{1,2})[/.-](?P<year>[0-9]{4})"
    r"(?:[ T]+(?P<hour>[0-9]{1,2})[:.](?P<minute>[0-9]{2})(?:[:.](?P<second>[0-9]{2}))?)?$"
)
_DATE_ISO = (
    r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[ T](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.[0-9]+)?)?)?$"
)
_PARTS = ("year", "month", "day", "hour", "minute", "second")


def due_date_message(code: str) -> str:
    if code == DUE_DATE_FORMAT:
        return (
            "Data di scadenza non valida: scrivila come 31/12/2026 oppure 31/12/2026 18:00"
            " (ora italiana)."
        )
    if code == DUE_DATE_PAST:
        return "La data di scadenza è già passata: controlla che sia quella giusta."
    raise KeyError(code)


@dataclass(frozen=True)
class DueDateColumn:
    values: pd.Series  # ISO-8601 UTC strings, <NA> where blank or wrong
    errors: pd.Series  # categorical of DUE_DATE_ERRORS
    warnings: pd.Series  # categorical of DUE_DATE_WARNINGS
    present: np.ndarray


def due_date_column(column: pd.Series, now: dt.datetime | None = None) -> DueDateColumn:
    """Due dates in Italian forms, read in Europe/Rome; a date alone means 23:59:59 that day.

    A date alone, or an Excel date at midnight (Excel cannot tell them apart), means the end of
    that day: a due date at the midnight that opens the day would fall a day early.
    """
    n = len(column)
    parts = {name: np.full(n, -1, dtype=np.int64) for name in _PARTS}
    has_time = np.zeros(n, dtype=bool)
    is_cell_date = np.zeros(n, dtype=bool)
    if column.dtype == object:
        is_cell_date = column.map(lambda v: isinstance(v, dt.date)).to_numpy(dtype=bool)
        if is_cell_date.any():
            stamps = pd.Series(pd.to_datetime(column[is_cell_date].tolist()))
            for name in _PARTS:
                parts[name][is_cell_date] = getattr(stamps.dt, name).to_numpy()
            has_time[is_cell_date] = (stamps != stamps.dt.normalize()).to_numpy()
    text = text_array(column.where(~is_cell_date, None) if is_cell_date.any() else column)
    present = pc.not_equal(text, "").to_numpy(zero_copy_only=False) | is_cell_date
    for pattern in (_DATE_ITALIAN, _DATE_ISO):
        found = pc.extract_regex(text, pattern)
        matched = found.is_valid().to_numpy(zero_copy_only=False)
        if not matched.any():
            continue
        for name in _PARTS:
            field = pc.struct_field(found, name)
            numbers = pc.cast(pc.if_else(pc.equal(field, ""), "-1", field), pa.int64())
            values = numbers.to_numpy(zero_copy_only=False)
            parts[name][matched] = values[matched]
        has_time[matched] = parts["hour"][matched] >= 0

    in_range = (parts["year"] >= 1) & (parts["hour"] <= 23) & (parts["minute"] <= 59)
    in_range &= parts["second"] <= 59
    end_of_day = present & ~has_time
    parts["hour"][end_of_day], parts["minute"][end_of_day] = 23, 59
    parts["second"][end_of_day] = 59
    parts["second"][parts["second"] < 0] = 0
    local = pd.to_datetime(pd.DataFrame(parts), errors="coerce")
    local[~in_range] = pd.NaT
    stamps = local.dt.tz_localize(
        SOURCE_TIME_ZONE, ambiguous="NaT", nonexistent="shift_forward"
    ).dt.tz_convert("UTC")
    # An hour that happens twice (the October change) has no single reading: take the first.
    twice = present & stamps.isna().to_numpy() & local.notna().to_numpy()
    if twice.any():
        first = local[twice].dt.tz_localize(SOURCE_TIME_ZONE, ambiguous=True)
        stamps[twice] = first.dt.tz_convert("UTC")
    valid = stamps.notna().to_numpy()
    error = np.where(present & ~valid, 0, -1).astype(np.int8)
    current = pd.Timestamp(now or dt.datetime.now(dt.UTC))
    current = current.tz_localize("UTC") if current.tzinfo is None else current
    warning = np.where(valid & (stamps < current).to_numpy(), 0, -1).astype(np.int8)
    # pyarrow formats a million timestamps in milliseconds; pandas' strftime takes seconds.
    utc = pa.array(stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[s]"), from_pandas=True)
    iso = pd.Series(
        pd.array(pc.strftime(utc, format="%Y-%m-%dT%H:%M:%S.000Z"), dtype="str"),
        index=column.index,
    )
    return DueDateColumn(
        values=iso,
        errors=_categorical(error, DUE_DATE_ERRORS, column.index),
        warnings=_categorical(warning, DUE_DATE_WARNINGS, column.index),
        present=present,
    )


def parse_due_date(value: str | dt.datetime | dt.date, now: dt.datetime | None = None) -> str:
    """A due date ("31/12/2026", "31/12/2026 18:00", an Excel date) as ISO-8601 UTC.

    Only a wrong date raises; a date in the past is accepted (see `due_date_column`).
    """
    checked = due_date_column(pd.Series([value], dtype=object), now)
    if not checked.present[0]:
        raise ContentError(due_date_message(DUE_DATE_FORMAT), code=DUE_DATE_FORMAT)
    code = checked.errors.iloc[0]
    _single(checked.errors, due_date_message(code) if isinstance(code, str) else None)
    return str(checked.values.iloc[0])
