"""Italian fiscal codes (codice fiscale): normalise, check one, check a whole column at once.

The column check is the one that matters: a flow can carry a million codes, and a per-code
Python check (python-codicefiscale does about 1,000 a second) would take minutes. Here the
codes that pass IO's pattern become a (rows x 16) byte matrix, and the check character,
the birth date and the birthplace are computed with numpy over the whole matrix.
The check lives in fiscal_code_columns.py, with numpy, pandas and pyarrow, and its `validate`
runs the same column check on a single value, so the two can never disagree. This module
holds what only normalises or compares a code (a search, `appio flow status`), and does not
load them.
"""

from __future__ import annotations

import re

from appio_core.domain import PSEUDONYM_PREFIX
from appio_core.errors import InvalidInput

# IO's own pattern (NewMessage.fiscal_code): letters in digit places are omocodia substitutes.
PATTERN = (
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"
)
LENGTH = 16
# IO's test citizen: its date and check character are not real, and IO accepts it.
TEST_CITIZEN = "AAAAAA00A00A000A"

# Error and warning codes, for logic and tests; the Italian messages are in MESSAGES.
MISSING = "cf_mancante"
WRONG_LENGTH = "cf_lunghezza"
WRONG_CHARACTERS = "cf_caratteri"
IMPOSSIBLE_BIRTH_DATE = "cf_data_nascita"
WRONG_CHECK_CHARACTER = "cf_carattere_controllo"
UNKNOWN_BIRTHPLACE = "cf_luogo_nascita"

ERROR_CODES = (
    MISSING,
    WRONG_LENGTH,
    WRONG_CHARACTERS,
    IMPOSSIBLE_BIRTH_DATE,
    WRONG_CHECK_CHARACTER,
)
WARNING_CODES = (UNKNOWN_BIRTHPLACE,)

MESSAGES = {
    MISSING: "Manca il codice fiscale.",
    WRONG_CHARACTERS: (
        "Il codice fiscale contiene caratteri non ammessi o fuori posto: deve essere"
        " nella forma RSSMRA85T10A562S (6 lettere, 2 cifre, 1 lettera, 2 cifre, 1 lettera,"
        " 3 cifre, 1 lettera)."
    ),
    IMPOSSIBLE_BIRTH_DATE: (
        "Il codice fiscale contiene una data di nascita impossibile (caratteri 7-11):"
        " controlla anno, lettera del mese e giorno."
    ),
    WRONG_CHECK_CHARACTER: (
        "L'ultimo carattere del codice fiscale (carattere di controllo) non corrisponde agli"
        " altri: probabilmente c'è un errore di battitura."
    ),
    UNKNOWN_BIRTHPLACE: (
        "Il codice del luogo di nascita (caratteri 12-15) non corrisponde ad alcun comune"
        " italiano o stato estero: controlla il codice fiscale."
    ),
}


def message(code: str, value: str = "") -> str:
    """The Italian message for an error or warning code about the (normalised) `value`."""
    if code == WRONG_LENGTH:
        return f"Il codice fiscale deve avere 16 caratteri: questo ne ha {len(value)}."
    return MESSAGES[code]


class FiscalCodeError(InvalidInput):
    """A fiscal code that cannot be used; `.code` is one of ERROR_CODES."""

    code = "cf_non_valido"


_INNER_SPACE = re.compile(r"\s+")


def normalize(value: str) -> str:
    return _INNER_SPACE.sub("", value.strip().upper())


def is_pseudonym(value: str) -> bool:
    return value.startswith(PSEUDONYM_PREFIX)


def stored_form(typed: str) -> str:
    """What a search for `typed` compares with a stored codice fiscale, in every search
    (the archive of notifications, a flow's recipients): a code normalised as rows keep it
    (capitals, no spaces), a pseudonym in small letters as the purge wrote it."""
    typed = typed.strip()
    return typed.lower() if is_pseudonym(typed.lower()) else normalize(typed)
