"""Our column check against python-codicefiscale, an independent implementation, on 20,000
generated codes: valid ones, omocodie, and the corruptions operators' files contain.

python-codicefiscale also checks that the birthplace existed on the birth date; we only warn
when a birthplace code is in no list at all. That is the one place where verdicts may differ
by design, and the test states it exactly.
"""

from __future__ import annotations

import functools
import random
import re
import string
from collections.abc import Iterator

import pandas as pd
import pytest
from codicefiscale import codicefiscale as oracle

from appio_core.content import fiscal_code, fiscal_code_columns

SEED = 20261126
COUNT = 20_000
IO_PATTERN = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"
)
OMOCODIA = dict(zip("0123456789", "LMNPQRSTUV", strict=True))
DECODE = {letter: digit for digit, letter in OMOCODIA.items()}
MONTHS = "ABCDEHLMPRST"


@pytest.fixture(scope="module")
def fast_oracle() -> Iterator[None]:
    """The oracle's verdicts, several times faster: it parses the same few thousand date strings
    and slugs over and over (both pure functions, so caching them changes no verdict), and
    builds the list of 128 omocodie of each code, which no verdict depends on."""
    saved = (oracle._get_date, oracle.slugify, oracle._get_omocodes)
    oracle._get_date = functools.lru_cache(maxsize=None)(oracle._get_date)
    oracle.slugify = functools.lru_cache(maxsize=None)(oracle.slugify)  # type: ignore[assignment]
    oracle._get_omocodes = lambda code: []
    yield
    oracle._get_date, oracle.slugify, oracle._get_omocodes = saved


def _with_check_character(first15: str) -> str:
    return first15 + oracle.encode_cin(first15 + "X")


def _person(rng: random.Random, places: list[str]) -> str:
    letters = "".join(rng.choices(string.ascii_uppercase, k=6))
    year = f"{rng.randrange(100):02d}"
    day = rng.randrange(1, 32) + rng.choice((0, 40))  # some days do not exist in their month
    place = rng.choice(places)
    return _with_check_character(f"{letters}{year}{rng.choice(MONTHS)}{day:02d}{place}")


def _omocode(rng: random.Random, code: str) -> str:
    chars = list(code[:15])
    for place in rng.sample([6, 7, 9, 10, 12, 13, 14], rng.randrange(1, 8)):
        chars[place] = OMOCODIA.get(chars[place], chars[place])
    return _with_check_character("".join(chars))


def _corrupt(rng: random.Random, code: str, places: list[str]) -> str:
    kind = rng.randrange(10)
    chars = list(code)
    if kind == 0:  # a wrong check character
        chars[15] = rng.choice([c for c in string.ascii_uppercase if c != code[15]])
    elif kind == 1:  # one character mistyped
        chars[rng.randrange(16)] = rng.choice(string.ascii_uppercase + string.digits)
    elif kind == 2:  # two neighbours swapped
        i = rng.randrange(15)
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    elif kind == 3:  # one character lost
        del chars[rng.randrange(16)]
    elif kind == 4:  # one character too many
        chars.insert(rng.randrange(17), rng.choice(string.ascii_uppercase + string.digits))
    elif kind == 5:  # an impossible day, check character made right
        day = rng.choice((0, 32, 35, 40, 72, 80, 99))
        chars[9:11] = f"{day:02d}"
        return _with_check_character("".join(chars[:15]))
    elif kind == 6:  # a letter that is no month
        chars[8] = rng.choice([c for c in string.ascii_uppercase if c not in MONTHS])
        return _with_check_character("".join(chars[:15]))
    elif kind == 7:  # a birthplace code picked at random, maybe nowhere
        chars[11:15] = rng.choice(string.ascii_uppercase) + f"{rng.randrange(1000):03d}"
        return _with_check_character("".join(chars[:15]))
    elif kind == 8:  # typed in lower case with spaces: still the same code
        text = "".join(chars).lower()
        cut = rng.randrange(1, 16)
        return f" {text[:cut]} {text[cut:]} "
    else:  # a birthplace of another era (python-codicefiscale checks the date; we do not)
        chars[11:15] = rng.choice(places)
        return _with_check_character("".join(chars[:15]))
    return "".join(chars)


def _generated() -> list[str]:
    rng = random.Random(SEED)
    places = sorted(oracle._get_data()["codes"])
    places = [p for p in places if re.fullmatch(r"[A-Z][0-9]{3}", p)]
    codes: list[str] = []
    while len(codes) < COUNT:
        code = _person(rng, places)
        codes.append(code)
        codes.append(_omocode(rng, code))
        codes.append(_corrupt(rng, code, places))
        codes.append(_corrupt(rng, _omocode(rng, code), places))
    return codes[:COUNT]


def _oracle_error(code: str) -> str | None:
    try:
        oracle.decode(code)
    except ValueError as error:
        return str(error)
    return None


def _birthplace(normalised: str) -> str:
    return normalised[11] + "".join(DECODE.get(c, c) for c in normalised[12:15])


def test_our_verdicts_agree_with_python_codicefiscale_on_generated_codes(
    fast_oracle: None,
) -> None:
    codes = _generated()
    checked = fiscal_code_columns.check_column(pd.Series(codes, dtype="str"))
    known_places = set(oracle._get_data()["codes"])
    disagreements = []
    kinds = {"valid": 0, "birthplace": 0, "error": 0}
    for code, normalised, error, warning in zip(
        codes,
        checked.values,
        checked.errors,
        checked.warnings,
        strict=True,
    ):
        ours_error = error if isinstance(error, str) else None
        ours_warning = warning if isinstance(warning, str) else None
        theirs = _oracle_error(code)
        expected: tuple[str | None, str | None]
        if theirs is None:
            kinds["valid"] += 1
            expected = (None, None)
        elif "wrong birthplace code" in theirs and IO_PATTERN.match(normalised):
            # The oracle stops at the birthplace before looking at the check character.
            kinds["birthplace"] += 1
            check_ok = oracle.encode_cin(normalised) == normalised[15]
            if not check_ok:
                expected = (fiscal_code.WRONG_CHECK_CHARACTER, None)
            elif _birthplace(normalised) in known_places:
                expected = (None, None)  # a birthplace of another era: accepted
            else:
                expected = (None, fiscal_code.UNKNOWN_BIRTHPLACE)
        else:
            kinds["error"] += 1
            if "wrong CIN" in theirs:
                expected = (fiscal_code.WRONG_CHECK_CHARACTER, None)
            elif "invalid date" in theirs and IO_PATTERN.match(normalised):
                expected = (fiscal_code.IMPOSSIBLE_BIRTH_DATE, None)
            elif not IO_PATTERN.match(normalised):
                expected = (
                    (fiscal_code.WRONG_CHARACTERS, None)
                    if len(normalised) == 16
                    else (fiscal_code.WRONG_LENGTH, None)
                )
            else:
                expected = ("an error", None)
        actual = (ours_error, ours_warning)
        if expected[0] == "an error" and ours_error is not None:
            continue
        if actual != expected:
            disagreements.append((code, theirs, expected, actual))
    assert disagreements == []
    # The corpus really covers both sides, not only codes everybody accepts.
    assert kinds["valid"] > COUNT // 3
    assert kinds["error"] > COUNT // 5
    assert kinds["birthplace"] > 100


def test_one_code_is_judged_as_the_column_judges_it() -> None:
    """`validate` takes a fast path for well-formed ASCII codes (the API's case): on
    generated codes, valid and corrupted, in small letters and with spaces around, it
    returns what the column check returns, and refuses what it refuses."""
    rng = random.Random(SEED + 1)
    codes = _generated()[:1500]
    codes += [rng.choice((c.lower(), f" {c}\t", f"{c}\n", f"\x0b{c}")) for c in codes[:500]]
    codes += [fiscal_code.TEST_CITIZEN, "", "RSSMRA85T10A562S\n\n", "RSSMRA85T10A562SS"]
    checked = fiscal_code_columns.check_column(pd.Series(codes, dtype="str"))
    for code, normalised, error in zip(codes, checked.values, checked.errors, strict=True):
        if isinstance(error, str):
            with pytest.raises(fiscal_code.FiscalCodeError) as refused:
                fiscal_code_columns.validate(code)
            assert refused.value.code == error, code
        else:
            assert fiscal_code_columns.validate(code) == normalised, repr(code)
