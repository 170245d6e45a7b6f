"""The operators' conventions, written once: Italian time, numbers and amounts.

Every date and time shown or read is Europe/Rome; the database keeps UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from appio_core.errors import InvalidInput

ROME = ZoneInfo("Europe/Rome")


def thousands(number: int) -> str:
    """1234567 -> '1.234.567'."""
    return f"{number:,}".replace(",", ".")


def counted(number: int, one: str, many: str) -> str:
    """A count with its noun agreeing: (1, flusso, flussi) -> '1 flusso'; 1234 -> '1.234 flussi'."""
    return f"{thousands(number)} {one if number == 1 else many}"


def euro(cents: int | None) -> str:
    """Euro cents the Italian way: 123456 -> '€ 1.234,56'; None -> ''."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"€ {sign}{thousands(whole)},{rest:02d}"


def plain_euro(cents: int) -> str:
    """Euro cents as typed in a form, without the sign: 1000000 -> '10.000,00'."""
    return euro(cents).removeprefix("€ ")


def local_time(moment: datetime | None) -> str:
    """A UTC timestamp as the operators read it: Italian time, gg/mm/aaaa hh:mm."""
    if moment is None:
        return ""
    return moment.astimezone(ROME).strftime("%d/%m/%Y %H:%M")


def local_time_seconds(moment: datetime | None) -> str:
    """As local_time, with the seconds: for what changes by the second (a worker's
    heartbeat, a lease's expiry)."""
    if moment is None:
        return ""
    return moment.astimezone(ROME).strftime("%d/%m/%Y %H:%M:%S")


def decimal(number: float, digits: int = 1) -> str:
    """1234.56 -> '1.234,6': thousands with a dot, decimals with a comma."""
    text = f"{number:,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def percent(share: float, digits: int = 0) -> str:
    """0.9731 -> '97%' (digits=0), '97,3%' (digits=1)."""
    return f"{decimal(share * 100, digits)}%"


def local_today() -> date:
    """Today in Italy."""
    return datetime.now(ROME).date()


def end_of_local_day(day: date) -> datetime:
    """The first moment after `day` in Italy: «valid until 31/12/2026» ends at midnight."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ROME)


def local_date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ROME).strftime("%d/%m/%Y")


_DAY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")


def parse_day(text: str, what: str = "La data") -> date | None:
    """A day typed the Italian way (gg/mm/aaaa; also with - or .); None when left empty."""
    if not text.strip():
        return None
    match = _DAY.match(text)
    if match is not None:
        day, month, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise InvalidInput(
        f"{what} «{text.strip()}» non è valida: scrivila come gg/mm/aaaa, es. 31/12/2026."
    )


_MOMENT = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s+(\d{1,2})[:.](\d{2})\s*$")


def parse_moment(text: str, what: str = "Il momento") -> datetime | None:
    """A day and time typed the Italian way (gg/mm/aaaa hh:mm), Europe/Rome; None when empty."""
    if not text.strip():
        return None
    match = _MOMENT.match(text)
    if match is not None:
        day, month, year, hour, minute = (int(part) for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, tzinfo=ROME)
        except ValueError:
            pass
    raise InvalidInput(
        f"{what} «{text.strip()}» non è valido: scrivilo come gg/mm/aaaa hh:mm,"
        " es. 31/12/2026 09:30."
    )
