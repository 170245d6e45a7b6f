"""Numbers and dates the Italian way, for display."""

from __future__ import annotations


def euro(cents: int | None) -> str:
    if cents is None:
        return ""
    whole, rest = divmod(cents, 100)
    return f"€ {whole:,}".replace(",", ".") + f",{rest:02d}"
