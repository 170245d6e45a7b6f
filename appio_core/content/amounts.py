"""Payment amounts written the Italian way, in euro cents."""

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
from appio_core.italian import euro

IO_MAX_AMOUNT = 9_999_999_999  # euro cents
AMOUNT_FORMAT = "importo_non_valido"
AMOUNT_TOO_LOW = "importo_nullo"
AMOUNT_TOO_HIGH = "importo_troppo_alto"
# A column in euro cents, IO's own unit (a header named `amount`, as IO and GovIO write it),
# holding something else than whole cents.
AMOUNT_CENTS_FORMAT = "importo_centesimi_non_valido"
AMOUNT_ERRORS = (AMOUNT_FORMAT, AMOUNT_TOO_LOW, AMOUNT_TOO_HIGH, AMOUNT_CENTS_FORMAT)


def format_cents(cents: int) -> str:
    """Euro cents the operators' way, as everywhere else: 123456 -> '€ 1.234,56'."""
    return euro(cents)


# After removing spaces, "€" and "EUR": 1.234,56 / 1234,56 / 1234 / 12.5 (a dot with one or two
# decimals is a decimal point; with three digits after it, it separates thousands: 1.234 is
# one thousand two hundred thirty-four euro, the Italian reading).
_AMOUNT_JUNK = r"(?i)[\s\p{Z}€]|eur(o)?"
_CENTS = r"^[0-9]+$"
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
        return "L'importo deve essere di almeno € 0,01."
    if code == AMOUNT_TOO_HIGH:
        limit = max_amount if max_amount is not None else IO_MAX_AMOUNT
        return f"L'importo supera il massimo consentito per il servizio ({format_cents(limit)})."
    if code == AMOUNT_CENTS_FORMAT:
        return (
            "Importo non valido: questa colonna è in centesimi di euro, come in IO: scrivi un"
            " numero intero senza punti né virgole, per esempio 12050 per € 120,50. Se la"
            " colonna è in euro, scegli per lei il significato «importo pagoPA»."
        )
    raise KeyError(code)


@dataclass(frozen=True)
class AmountColumn:
    cents: pd.Series  # Int64, <NA> where blank or wrong
    errors: pd.Series  # categorical of AMOUNT_ERRORS
    present: np.ndarray  # the cell is not blank


def amount_column(
    column: pd.Series, max_amount: int | None = None, in_cents: bool = False
) -> AmountColumn:
    """Amounts in euro written the Italian way, or, `in_cents`, whole euro cents as IO takes
    them (12050 for € 120,50)."""
    limit = IO_MAX_AMOUNT if max_amount is None else min(max_amount, IO_MAX_AMOUNT)
    n = len(column)
    is_number, numbers = number_cells(column)
    text = text_array(column)
    present = pc.not_equal(text, "").to_numpy(zero_copy_only=False) | is_number
    if in_cents:
        return _cents_column(column, text, present, is_number, numbers, limit)
    well_formed = mask(text, _AMOUNT) & ~is_number
    # Removing "€", "EUR" and spaces costs a regex pass: only for amounts that need it.
    rest = np.flatnonzero(present & ~well_formed & ~is_number)
    if len(rest):
        cleaned = pc.replace_substring_regex(take(text, rest), _AMOUNT_JUNK, "")
        well_formed[rest] = mask(cleaned, _AMOUNT)
        text = pc.replace_with_mask(text, pa.array(rows_mask(rest, n)), cleaned)

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
        errors=categorical(error, AMOUNT_ERRORS, column.index),
        present=present,
    )


def _cents_column(
    column: pd.Series,
    text: pa.Array,
    present: np.ndarray,
    is_number: np.ndarray,
    numbers: np.ndarray,
    limit: int,
) -> AmountColumn:
    """Whole cents: digits only in text (a thousands dot or a decimal comma would be a
    guess at the unit), whole numbers in Excel's number cells."""
    n = len(column)
    digits = mask(text, _CENTS) & ~is_number
    cents_float = np.full(n, np.nan)
    if digits.any():
        # As floats, like the euro amounts: exact up to 2**53, far above IO's maximum.
        cents_float[digits] = _float(text.filter(pa.array(digits)))
    whole = is_number & (np.abs(numbers - np.round(numbers)) < 1e-9)
    cents_float[whole] = numbers[whole]
    error = np.full(n, -1, dtype=np.int8)
    error[present & ~(digits | whole)] = AMOUNT_ERRORS.index(AMOUNT_CENTS_FORMAT)
    valued = present & (error < 0)
    error[valued & (cents_float < 1)] = 1
    error[valued & (cents_float > limit)] = 2
    ok = present & (error < 0)
    cents = pd.array(np.where(ok, cents_float, 0).astype(np.int64), dtype="Int64")
    cents[~ok] = pd.NA
    return AmountColumn(
        cents=pd.Series(cents, index=column.index),
        errors=categorical(error, AMOUNT_ERRORS, column.index),
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


def parse_amount(value: str | int | float, max_amount: int | None = None) -> int:
    """An amount written the Italian way ("1.234,56", "€ 12,50", "12.5") in euro cents.

    `max_amount` is the service's maximum in cents (IO's own 9,999,999,999 when None).
    """
    checked = amount_column(pd.Series([value], dtype=object), max_amount)
    if not checked.present[0]:
        raise ContentError("Manca l'importo.", code=AMOUNT_FORMAT)
    code = checked.errors.iloc[0]
    single(checked.errors, amount_message(code, max_amount) if isinstance(code, str) else None)
    return int(checked.cents.iloc[0])


def typed_cents(cents: int) -> str:
    """Euro cents (IO's unit, as the API takes them) written as an operator types them
    («123456» -> «1234,56»), for `parse_amount` and the form's one rule: 0 and negative
    amounts reach it too, and are refused there in the same words."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole},{part:02d}"
