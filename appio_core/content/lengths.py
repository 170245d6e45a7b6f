"""Subject and text lengths, counted as IO counts them (UTF-16 code units)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.content.cells import ContentError, take, thousands
from appio_core.errors import InvalidInput

# IO's own limits (NewMessage in ../shared/io-api): the operators' rules may only be stricter.
IO_SUBJECT_MIN = 10
IO_SUBJECT_MAX = 120
IO_TEXT_MIN = 80
IO_TEXT_MAX = 10_000

SUBJECT_MISSING = "oggetto_mancante"
SUBJECT_TOO_SHORT = "oggetto_corto"
SUBJECT_TOO_LONG = "oggetto_lungo"
TEXT_MISSING = "testo_mancante"
TEXT_TOO_SHORT = "testo_corto"
TEXT_TOO_LONG = "testo_lungo"


@dataclass(frozen=True)
class ContentRules:
    """Length limits, in characters; by default the operators' rule (10-120, 120-10,000)."""

    subject_min: int = 10
    subject_max: int = 120
    text_min: int = 120
    text_max: int = 10_000

    def bounds(self, *, subject: bool) -> tuple[int, int]:
        """(minimum, maximum) of the subject or of the text."""
        return (self.subject_min, self.subject_max) if subject else (self.text_min, self.text_max)

    def __post_init__(self) -> None:
        if not IO_SUBJECT_MIN <= self.subject_min <= self.subject_max <= IO_SUBJECT_MAX:
            raise InvalidInput(
                f"Limiti dell'oggetto non validi: devono stare tra {IO_SUBJECT_MIN} e"
                f" {IO_SUBJECT_MAX} caratteri, con il minimo non oltre il massimo."
            )
        if not IO_TEXT_MIN <= self.text_min <= self.text_max <= IO_TEXT_MAX:
            raise InvalidInput(
                f"Limiti del testo non validi: devono stare tra {IO_TEXT_MIN} e"
                f" {thousands(IO_TEXT_MAX)} caratteri (i limiti di IO), con il minimo"
                " non oltre il massimo."
            )


def length_message(code: str, length: int, rules: ContentRules) -> str:
    if code == SUBJECT_MISSING:
        return "Manca l'oggetto del messaggio."
    if code == TEXT_MISSING:
        return "Manca il testo del messaggio."
    if code == SUBJECT_TOO_SHORT:
        return (
            f"L'oggetto è troppo corto: ha {thousands(length)} caratteri, ne servono almeno"
            f" {rules.subject_min}."
        )
    if code == SUBJECT_TOO_LONG:
        return (
            f"L'oggetto è troppo lungo: ha {thousands(length)} caratteri, al massimo"
            f" {rules.subject_max}: accorcialo."
        )
    if code == TEXT_TOO_SHORT:
        return (
            f"Il testo è troppo corto: ha {length} caratteri, ne servono almeno"
            f" {rules.text_min}: aggiungi dettagli."
        )
    if code == TEXT_TOO_LONG:
        return (
            f"Il testo è troppo lungo: ha {thousands(length)} caratteri, al massimo"
            f" {thousands(rules.text_max)}: accorcialo."
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
    length = text_length(value)
    code = length_codes(np.array([length]), *rules.bounds(subject=subject), subject=subject)[0]
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
        astral = pc.count_substring_regex(take(values, rest), _ASTRAL)
        lengths[rest] += astral.to_numpy(zero_copy_only=False)
    return lengths
