"""Whole numbers: ASCII digits only, within a bound (appio_core/numbers.py)."""

from __future__ import annotations

import pytest

from appio_core.numbers import MAX_ID, whole_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("0", 0),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),  # beyond a 32-bit id: a lookup would fail, not find nothing
        ("²", None),  # isdigit() is true of it, int() refuses it
        ("٣", None),  # isdigit() is true of it, int() reads 3
        ("1.000", None),
        ("-3", None),
        ("", None),
    ],
)
def test_only_ascii_digits_within_the_bound_are_a_number(text: str, expected: int | None) -> None:
    assert whole_number(text, MAX_ID) == expected
