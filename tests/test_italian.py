"""The operators' conventions: amounts typed and shown the Italian way."""

from __future__ import annotations

from appio_core.content.amounts import format_cents
from appio_core.italian import counted, euro, plain_euro


def test_amounts_are_shown_one_way_everywhere() -> None:
    assert euro(123_456) == format_cents(123_456) == "€ 1.234,56"
    assert plain_euro(1_000_000) == "10.000,00"


def test_counts_agree_with_their_noun() -> None:
    assert counted(1, "flusso", "flussi") == "1 flusso"
    assert counted(0, "flusso", "flussi") == "0 flussi"
    assert counted(1234, "flusso", "flussi") == "1.234 flussi"
