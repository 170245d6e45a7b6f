"""Numbers and dates the Italian way, for display."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")


def euro(cents: int | None) -> str:
    if cents is None:
        return ""
    whole, rest = divmod(cents, 100)
    return f"€ {whole:,}".replace(",", ".") + f",{rest:02d}"


def local_time(moment: datetime | None) -> str:
    """A UTC timestamp as the operators read it: Italian time, day first."""
    if moment is None:
        return ""
    return moment.astimezone(ROME).strftime("%d/%m/%Y %H:%M")
