"""Whole numbers typed by people or sent by machines, and the largest ids the databases hold.

`str.isdigit` is not the test: it is true of «²» (which `int` refuses, a crash) and of other
scripts' digits such as «٣» (which `int` reads as 3). A number here is ASCII digits only.
"""

from __future__ import annotations

# The largest id a lookup can name without the database failing instead of finding nothing:
# an INTEGER id (services, flows, templates: 32 bits on PostgreSQL) and a BIGINT id
# (notifications, audit entries, webhook events).
MAX_ID = 2**31 - 1
MAX_ROW_ID = 2**63 - 1


def whole_number(text: str, maximum: int) -> int | None:
    """`text` (spaces around allowed) as a number from 0 to `maximum`; None otherwise."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()):
        return None
    number = int(digits)
    return number if number <= maximum else None
