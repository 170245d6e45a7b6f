"""The operators' conventions: amounts typed and shown the Italian way."""

from __future__ import annotations

import pytest

from appio_core.content.amounts import format_cents
from appio_core.errors import InvalidInput
from appio_core.italian import counted, euro, parse_euro, plain_euro


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("10.000", 1_000_000),
        ("10000", 1_000_000),
        ("1.234,56", 123_456),
        ("€ 1.234,5", 123_450),
        ("12,50 EUR", 1_250),
        ("  ", None),
    ],
)
def test_amounts_typed_the_italian_way_are_read_in_cents(typed: str, cents: int | None) -> None:
    assert parse_euro(typed) == cents


@pytest.mark.parametrize("typed", ["10000.00", "1,234.56", "12,345", "dieci", "-5"])
def test_other_writings_are_refused_with_what_to_type(typed: str) -> None:
    with pytest.raises(InvalidInput, match=r"come 1\.234,56"):
        parse_euro(typed)


def test_amounts_are_shown_one_way_everywhere() -> None:
    assert euro(123_456) == format_cents(123_456) == "€ 1.234,56"
    assert plain_euro(1_000_000) == "10.000,00"


def test_counts_agree_with_their_noun() -> None:
    assert counted(1, "flusso", "flussi") == "1 flusso"
    assert counted(0, "flusso", "flussi") == "0 flussi"
    assert counted(1234, "flusso", "flussi") == "1.234 flussi"
