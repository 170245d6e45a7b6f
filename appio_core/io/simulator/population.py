"""A deterministic population of citizens: who has IO, who blocked which service.

Every fiscal code that matches IO's pattern is a citizen; its traits come from a hash
of (seed, fiscal code), so the same seed gives the same answers in every process (the
demo, the tests and an `appio simulator` server agree without sharing any state).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from appio_core.io.models import TEST_FISCAL_CODE

LANGUAGES = (("it_IT",), ("it_IT",), ("it_IT",), ("de_DE", "it_IT"), ("en_GB", "it_IT"))

_ODD_LETTERS: tuple[int, ...] = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8)
_ODD_LETTERS += (12, 14, 16, 10, 22, 25, 24, 23)
_ODD = {**dict(zip("0123456789", _ODD_LETTERS[:10], strict=True))}
_ODD.update(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", _ODD_LETTERS, strict=True))
_EVEN = {c: (int(c) if c.isdigit() else ord(c) - ord("A")) for c in _ODD}
_MONTHS = "ABCDEHLMPRST"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def check_character(first15: str) -> str:
    """The control character of an Italian fiscal code."""
    total = sum((_ODD if i % 2 == 0 else _EVEN)[c] for i, c in enumerate(first15))
    return _LETTERS[total % 26]


class Kind(StrEnum):
    """What a test or a demo needs to find in the population."""

    WITH_IO = "with_io"  # has IO and allows the service
    WITHOUT_IO = "without_io"  # profile not found
    BLOCKED = "blocked"  # has IO but blocked the service


@dataclass(frozen=True)
class Citizen:
    fiscal_code: str
    has_io: bool
    email: bool
    preferred_languages: tuple[str, ...]


class Population:
    def __init__(
        self,
        seed: int,
        no_io_share: float = 0.10,
        blocked_share: float = 0.05,
        email_share: float = 0.60,
    ) -> None:
        self.seed = seed
        self.no_io_share = no_io_share
        self.blocked_share = blocked_share
        self.email_share = email_share

    def _unit(self, *parts: str) -> float:
        digest = hashlib.blake2b("|".join((str(self.seed), *parts)).encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big") / 2**64

    def citizen(self, fiscal_code: str) -> Citizen:
        if fiscal_code == TEST_FISCAL_CODE:
            return Citizen(fiscal_code, has_io=True, email=True, preferred_languages=("it_IT",))
        u = self._unit(fiscal_code)
        return Citizen(
            fiscal_code,
            has_io=u >= self.no_io_share,
            email=self._unit(fiscal_code, "email") < self.email_share,
            preferred_languages=LANGUAGES[int(self._unit(fiscal_code, "lang") * len(LANGUAGES))],
        )

    def blocked(self, fiscal_code: str, service_id: str) -> bool:
        """Whether the citizen turned this service off in the app (sender_allowed false)."""
        if fiscal_code == TEST_FISCAL_CODE:
            return False
        return self._unit(fiscal_code, service_id) < self.blocked_share

    def unit(self, *parts: str) -> float:
        """A deterministic number in [0, 1) for any other trait (read, paid...)."""
        return self._unit(*parts)

    def kind(self, fiscal_code: str, service_id: str) -> Kind:
        if not self.citizen(fiscal_code).has_io:
            return Kind.WITHOUT_IO
        return Kind.BLOCKED if self.blocked(fiscal_code, service_id) else Kind.WITH_IO

    def fiscal_codes(self, start: int = 0) -> Iterator[str]:
        """Valid, distinct fiscal codes (with the right control character), in order."""
        index = start
        while True:
            yield synthetic_fiscal_code(index)
            index += 1

    def find(self, kind: Kind, service_id: str, count: int) -> list[str]:
        found: list[str] = []
        for fiscal_code in self.fiscal_codes():
            if self.kind(fiscal_code, service_id) == kind:
                found.append(fiscal_code)
                if len(found) == count:
                    return found
        raise AssertionError("unreachable: the population is infinite")


# Real municipalities that have existed for the whole of the last century, so that a
# validator checking the place of birth accepts the synthetic codes.
_PLACES: tuple[str, ...] = ("H501", "F205", "F839", "L219", "G273", "D969", "A944", "D612")
_PLACES += ("A662", "C351")
_PLACES += ("L736", "L781", "F158", "G224", "L424", "B157", "G337", "F257", "G702", "A345")


def synthetic_fiscal_code(index: int) -> str:
    """A valid fiscal code made from a number: distinct numbers, distinct codes."""
    digest = hashlib.blake2b(str(index).encode(), digest_size=8).digest()
    # The six letters are the index in base 26 (scrambled by a multiplier coprime with
    # 26, so neighbours do not look alike): distinct up to 308 million codes.
    n = (index * 7919 + 1_234_567) % 26**6
    letters = "".join(_LETTERS[(n // 26**i) % 26] for i in range(5, -1, -1))
    year = f"{40 + digest[0] % 60:02d}"
    month = _MONTHS[digest[1] % 12]
    day = f"{1 + digest[2] % 28 + (40 if digest[3] % 2 else 0):02d}"
    first15 = f"{letters}{year}{month}{day}{_PLACES[digest[4] % len(_PLACES)]}"
    return first15 + check_character(first15)
