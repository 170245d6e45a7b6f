"""Fiscal codes: one at a time, as a column, and against python-codicefiscale as an oracle."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appio_core.content import fiscal_code, fiscal_code_columns
from appio_core.content.fiscal_code import FiscalCodeError
from appio_core.errors import InvalidInput
from appio_core.recipient_file import checks

CHECK_CHARACTER_MESSAGE = (
    "L'ultimo carattere del codice fiscale (carattere di controllo) non corrisponde agli"
    " altri: probabilmente c'è un errore di battitura."
)
BIRTH_DATE_MESSAGE = (
    "Il codice fiscale contiene una data di nascita impossibile (caratteri 7-11):"
    " controlla anno, lettera del mese e giorno."
)
CHARACTERS_MESSAGE = (
    "Il codice fiscale contiene caratteri non ammessi o fuori posto: deve essere"
    " nella forma RSSMRA85T10A562S (6 lettere, 2 cifre, 1 lettera, 2 cifre, 1 lettera,"
    " 3 cifre, 1 lettera)."
)

# (as typed, normalised)
VALID = (
    ("RSSMRA85T10A562S", "RSSMRA85T10A562S"),
    ("rssmra85t10a562s", "RSSMRA85T10A562S"),
    ("  RSS MRA 85T10 A562S ", "RSSMRA85T10A562S"),
    ("RSSMRA85T10A562S\t", "RSSMRA85T10A562S"),
    ("RSS\u00a0MRA85T10A562S", "RSSMRA85T10A562S"),
    ("BNCLRA80A41H501D", "BNCLRA80A41H501D"),  # a woman: day 01 + 40
    ("RSSMRA85T10A56NH", "RSSMRA85T10A56NH"),  # omocodia: the last 2 of A562 written as N
    ("RSSMRAURTMLARNSY", "RSSMRAURTMLARNSY"),  # omocodia in every digit place
    ("VRDLGU00B29F205X", "VRDLGU00B29F205X"),  # 29 February 2000
    ("DPLMRC70A01Z404F", "DPLMRC70A01Z404F"),  # born abroad (Stati Uniti)
    ("RSSGNN30A01A001I", "RSSGNN30A01A001I"),  # Abano, a municipality renamed since
    ("AAAAAA00A00A000A", "AAAAAA00A00A000A"),  # IO's test citizen
)

# (as typed, code, message)
INVALID = (
    ("", fiscal_code.MISSING, "Manca il codice fiscale."),
    ("   ", fiscal_code.MISSING, "Manca il codice fiscale."),
    (
        "RSSMRA85T10A562",
        fiscal_code.WRONG_LENGTH,
        "Il codice fiscale deve avere 16 caratteri: questo ne ha 15.",
    ),
    (
        "RSSMRA85T10A562SS",
        fiscal_code.WRONG_LENGTH,
        "Il codice fiscale deve avere 16 caratteri: questo ne ha 17.",
    ),
    (
        "12345678901",  # a company's VAT number, not a person's code
        fiscal_code.WRONG_LENGTH,
        "Il codice fiscale deve avere 16 caratteri: questo ne ha 11.",
    ),
    ("RSSMRA85T10A56-S", fiscal_code.WRONG_CHARACTERS, CHARACTERS_MESSAGE),
    ("RSSMRA85Z10A562S", fiscal_code.WRONG_CHARACTERS, CHARACTERS_MESSAGE),  # no month Z
    ("RSSMRAA5T10A562S", fiscal_code.WRONG_CHARACTERS, CHARACTERS_MESSAGE),  # A is no digit
    ("RSSMRÀ85T10A562S", fiscal_code.WRONG_CHARACTERS, CHARACTERS_MESSAGE),
    ("RSSMRA85T10A562X", fiscal_code.WRONG_CHECK_CHARACTER, CHECK_CHARACTER_MESSAGE),
    ("RSSMAR85T10A562S", fiscal_code.WRONG_CHECK_CHARACTER, CHECK_CHARACTER_MESSAGE),
    ("RSSMRA85T32A562Z", fiscal_code.IMPOSSIBLE_BIRTH_DATE, BIRTH_DATE_MESSAGE),  # day 32
    ("RSSMRA85T00A562S", fiscal_code.IMPOSSIBLE_BIRTH_DATE, BIRTH_DATE_MESSAGE),  # day 0
    ("RSSMRA85T72A562S", fiscal_code.IMPOSSIBLE_BIRTH_DATE, BIRTH_DATE_MESSAGE),  # 72 - 40 = 32
    ("RSSMRA85B30A562S", fiscal_code.IMPOSSIBLE_BIRTH_DATE, BIRTH_DATE_MESSAGE),  # 30 February
    ("RSSMRA85B29A562S", fiscal_code.IMPOSSIBLE_BIRTH_DATE, BIRTH_DATE_MESSAGE),  # not leap
    ("RSSMRA85D31A562S", fiscal_code.IMPOSSIBLE_BIRTH_DATE, BIRTH_DATE_MESSAGE),  # 31 April
)

UNKNOWN_BIRTHPLACES = ("RSSMRA85T10A000W", "RSSMRA85T10Z999S")


@pytest.mark.parametrize(("typed", "normalised"), VALID)
def test_a_valid_code_is_returned_normalised(typed: str, normalised: str) -> None:
    assert fiscal_code_columns.validate(typed) == normalised


@pytest.mark.parametrize(("typed", "normalised"), VALID)
def test_normalize_trims_upper_cases_and_drops_inner_spaces(typed: str, normalised: str) -> None:
    assert fiscal_code.normalize(typed) == normalised


@pytest.mark.parametrize(("typed", "code", "message"), INVALID)
def test_an_invalid_code_raises_a_typed_error_with_an_italian_message(
    typed: str, code: str, message: str
) -> None:
    with pytest.raises(FiscalCodeError) as raised:
        fiscal_code_columns.validate(typed)
    assert raised.value.code == code
    assert raised.value.message == message
    assert isinstance(raised.value, InvalidInput)


@pytest.mark.parametrize("typed", UNKNOWN_BIRTHPLACES)
def test_an_unknown_birthplace_is_a_warning_not_an_error(typed: str) -> None:
    assert fiscal_code_columns.validate(typed) == typed
    checked = fiscal_code_columns.check_column(pd.Series([typed]))
    assert checked.warnings.tolist() == [fiscal_code.UNKNOWN_BIRTHPLACE]
    assert fiscal_code.message(fiscal_code.UNKNOWN_BIRTHPLACE) == (
        "Il codice del luogo di nascita (caratteri 12-15) non corrisponde ad alcun comune"
        " italiano o stato estero: controlla il codice fiscale."
    )


def test_the_test_citizen_has_no_error_and_no_warning() -> None:
    checked = fiscal_code_columns.check_column(pd.Series([fiscal_code.TEST_CITIZEN]))
    assert checked.errors.isna().all()
    assert checked.warnings.isna().all()


def test_the_column_check_gives_one_verdict_per_row_on_the_original_index() -> None:
    typed = [t for t, _ in VALID] + [t for t, _, _ in INVALID] + [None, 16]
    column = pd.Series(typed, index=range(100, 100 + len(typed)), dtype=object)
    checked = fiscal_code_columns.check_column(column)
    assert checked.values.index.equals(column.index)
    assert checked.errors.index.equals(column.index)
    expected = [None] * len(VALID) + [code for _, code, _ in INVALID]
    expected += [fiscal_code.MISSING, fiscal_code.WRONG_LENGTH]
    assert [e if isinstance(e, str) else None for e in checked.errors] == expected
    assert checked.values.tolist()[: len(VALID)] == [n for _, n in VALID]


def test_normalize_column_matches_normalize() -> None:
    typed = [t for t, _ in VALID] + [t for t, _, _ in INVALID]
    normalised = fiscal_code_columns.normalize_column(pd.Series(typed)).tolist()
    assert normalised == [fiscal_code.normalize(t) for t in typed]


def test_a_column_read_in_chunks_is_normalised_like_a_whole_one() -> None:
    chunks = pa.chunked_array(
        [["rss mra85t10a562s"], [" RSSMRA85T10A562S"]], type=pa.large_string()
    )
    checked = fiscal_code_columns.check_column(pd.Series(pd.array(chunks, dtype="str")))
    assert checked.values.tolist() == ["RSSMRA85T10A562S", "RSSMRA85T10A562S"]
    assert checked.errors.isna().all()


def test_a_column_of_codes_all_well_formed_is_checked_like_any_other() -> None:
    # Every row has the shape: the check reads the text's own bytes (no copy of the rows).
    good = [n for _, n in VALID if n != fiscal_code.TEST_CITIZEN]
    typed = [*good, "RSSMRA85T10A562X", "RSSMRA85T32A562Z", *UNKNOWN_BIRTHPLACES]
    chunks = pa.chunked_array([typed[:4], typed[4:]], type=pa.large_string())
    checked = fiscal_code_columns.check_column(pd.Series(pd.array(chunks, dtype="str")))
    errors = [e if isinstance(e, str) else None for e in checked.errors]
    assert errors == [None] * len(good) + [
        fiscal_code.WRONG_CHECK_CHARACTER,
        fiscal_code.IMPOSSIBLE_BIRTH_DATE,
        None,
        None,
    ]
    warnings = [w if isinstance(w, str) else None for w in checked.warnings]
    assert warnings[-2:] == [fiscal_code.UNKNOWN_BIRTHPLACE] * 2
    assert warnings[:-2] == [None] * (len(typed) - 2)


def test_repeated_codes_are_those_pandas_finds_duplicated() -> None:
    codes = list(dict.fromkeys(n for _, n in VALID if n != fiscal_code.TEST_CITIZEN))
    column = pd.Series([*codes, codes[2], codes[0], codes[2], "BNCLRA80A41H501D"], dtype="str")
    expected = column.duplicated(keep=False).to_numpy()
    assert (checks._repeated(column) == expected).all()
    assert not checks._repeated(pd.Series(codes, dtype="str")).any()
    assert len(checks._repeated(pd.Series([], dtype="str"))) == 0


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from("ABLMRSTVZ0123456789 \tàx-"), max_size=20))
def test_the_single_and_the_column_check_agree_on_any_text(typed: str) -> None:
    checked = fiscal_code_columns.check_column(pd.Series([typed]))
    error = checked.errors.iloc[0]
    try:
        assert fiscal_code_columns.validate(typed) == fiscal_code.normalize(typed)
        assert not isinstance(error, str)
    except FiscalCodeError as raised:
        assert raised.code == error
    assert checked.values.iloc[0] == fiscal_code.normalize(typed)


SEARCHED = [
    (" rssmra 85t10a562s ", "RSSMRA85T10A562S"),  # a code: as rows keep it
    ("ps:abcdefghij234", "ps:abcdefghij234"),  # a pseudonym: as the purge wrote it
    (" PS:ABCDEFGHIJ234 ", "ps:abcdefghij234"),
]


@pytest.mark.parametrize(("typed", "stored"), SEARCHED)
def test_a_search_compares_the_form_a_row_keeps_of_a_code_or_a_pseudonym(
    typed: str, stored: str
) -> None:
    assert fiscal_code.stored_form(typed) == stored
