"""Due dates (and other moments) in Italian or ISO forms, read in Europe/Rome unless the
ISO form names its zone, stored as ISO-8601 UTC."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.content.cells import ContentError, categorical, single, text_array

SOURCE_TIME_ZONE = ZoneInfo("Europe/Rome")
DUE_DATE_FORMAT = "scadenza_non_valida"
DUE_DATE_PAST = "scadenza_passata"  # a warning: the message can still be sent
DUE_DATE_ERRORS = (DUE_DATE_FORMAT,)
DUE_DATE_WARNINGS = (DUE_DATE_PAST,)


_DATE_ITALIAN = (
    r"^(?P<day>[0-9]{1,2})[/.-](?P<month>[0-9]{1,2})[/.-](?P<year>[0-9]{4})"
    r"(?:[ T]+(?P<hour>[0-9]{1,2})[:.](?P<minute>[0-9]{2})(?:[:.](?P<second>[0-9]{2}))?)?$"
)
# ISO 8601 as IO and GovIO write it: "2026-12-31", "2026-12-31T18:00:00", and with a zone,
# "2026-12-31T17:00:00.000Z" or "+01:00". Without a zone the time is Italian.
_DATE_ISO = (
    r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[ T](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:[.,][0-9]+)?)?"
    r"(?P<zone>Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?$"
)
_PARTS = ("year", "month", "day", "hour", "minute", "second")


def due_date_message(code: str) -> str:
    if code == DUE_DATE_FORMAT:
        return (
            "Data di scadenza non valida: scrivila come 31/12/2026 oppure 31/12/2026 18:00"
            " (ora italiana)."
        )
    if code == DUE_DATE_PAST:
        return "La data di scadenza è già passata: controlla che sia quella giusta."
    raise KeyError(code)


@dataclass(frozen=True)
class DueDateColumn:
    values: pd.Series  # ISO-8601 UTC strings, <NA> where blank or wrong
    errors: pd.Series  # categorical of DUE_DATE_ERRORS
    warnings: pd.Series  # categorical of DUE_DATE_WARNINGS
    present: np.ndarray


@dataclass(frozen=True)
class Moments:
    """A column of moments read from Italian or ISO forms: UTC stamps, NaT where blank or
    wrong; `present` where the cell is not blank."""

    stamps: pd.Series  # datetime64[ns, UTC]
    present: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        return self.stamps.notna().to_numpy()

    def iso(self) -> pd.Series:
        """As IO takes them: ISO-8601 UTC strings, <NA> where blank or wrong."""
        # pyarrow formats a million timestamps in milliseconds; pandas' strftime takes seconds.
        stamps = self.stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
        utc = pa.array(stamps, from_pandas=True)
        return pd.Series(
            pd.array(pc.strftime(utc, format="%Y-%m-%dT%H:%M:%S.000Z"), dtype="str"),
            index=self.stamps.index,
        )


def moment_column(column: pd.Series, day_time: tuple[int, int, int]) -> Moments:
    """Moments in Italian forms (31/12/2026 [18:00]), ISO 8601 or Excel dates, read in
    Europe/Rome unless the ISO form names its zone; a date alone means `day_time` (hour,
    minute, second) that day, and so does an Excel date at midnight (Excel cannot tell the
    two apart)."""
    n = len(column)
    parts = {name: np.full(n, -1, dtype=np.int64) for name in _PARTS}
    has_time = np.zeros(n, dtype=bool)
    is_cell_date = np.zeros(n, dtype=bool)
    offset = np.zeros(n, dtype=np.int64)  # minutes east of UTC, where the zone is named
    zoned = np.zeros(n, dtype=bool)
    if column.dtype == object:
        is_cell_date = column.map(lambda v: isinstance(v, dt.date)).to_numpy(dtype=bool)
        if is_cell_date.any():
            stamps = pd.Series(pd.to_datetime(column[is_cell_date].tolist()))
            for name in _PARTS:
                parts[name][is_cell_date] = getattr(stamps.dt, name).to_numpy()
            has_time[is_cell_date] = (stamps != stamps.dt.normalize()).to_numpy()
    text = text_array(column.where(~is_cell_date, None) if is_cell_date.any() else column)
    present = pc.not_equal(text, "").to_numpy(zero_copy_only=False) | is_cell_date
    for pattern in (_DATE_ITALIAN, _DATE_ISO):
        found = pc.extract_regex(text, pattern)
        matched = found.is_valid().to_numpy(zero_copy_only=False)
        if not matched.any():
            continue
        for name in _PARTS:
            field = pc.struct_field(found, name)
            numbers = pc.cast(pc.if_else(pc.equal(field, ""), "-1", field), pa.int64())
            values = numbers.to_numpy(zero_copy_only=False)
            parts[name][matched] = values[matched]
        has_time[matched] = parts["hour"][matched] >= 0
        if pattern is _DATE_ISO:
            _zones(pc.struct_field(found, "zone"), matched, zoned, offset)

    in_range = (parts["year"] >= 1) & (parts["hour"] <= 23) & (parts["minute"] <= 59)
    in_range &= (parts["second"] <= 59) & (np.abs(offset) <= 18 * 60)
    hour, minute, second = day_time
    date_only = present & ~has_time
    parts["hour"][date_only], parts["minute"][date_only] = hour, minute
    parts["second"][date_only] = second
    parts["second"][parts["second"] < 0] = 0
    local = pd.to_datetime(pd.DataFrame(parts), errors="coerce")
    local[~in_range] = pd.NaT
    stamps = local.dt.tz_localize(
        SOURCE_TIME_ZONE, ambiguous="NaT", nonexistent="shift_forward"
    ).dt.tz_convert("UTC")
    # An hour that happens twice (the October change) has no single reading: take the first.
    twice = present & ~zoned & stamps.isna().to_numpy() & local.notna().to_numpy()
    if twice.any():
        first = local[twice].dt.tz_localize(SOURCE_TIME_ZONE, ambiguous=True)
        stamps[twice] = first.dt.tz_convert("UTC")
    if zoned.any():
        named = local[zoned].dt.tz_localize("UTC") - pd.to_timedelta(offset[zoned], unit="m")
        stamps[zoned] = named
    return Moments(stamps=stamps, present=present)


def _zones(zone: pa.Array, matched: np.ndarray, zoned: np.ndarray, offset: np.ndarray) -> None:
    """Where an ISO moment names its zone ("Z", "+01:00", "-0300"), its offset in minutes."""
    named = matched & pc.fill_null(pc.not_equal(zone, ""), False).to_numpy(zero_copy_only=False)
    if not named.any():
        return
    clean = pc.replace_substring(zone.filter(pa.array(named)), ":", "")
    utc = pc.equal(pc.utf8_upper(clean), "Z")
    hours = pc.if_else(utc, "00", pc.utf8_slice_codeunits(clean, 1, 3))
    minutes = pc.utf8_slice_codeunits(clean, 3, 5)
    minutes = pc.if_else(pc.or_(utc, pc.equal(minutes, "")), "00", minutes)
    total = pc.add(pc.multiply(pc.cast(hours, pa.int64()), 60), pc.cast(minutes, pa.int64()))
    sign = pc.if_else(pc.starts_with(clean, "-"), -1, 1)
    offset[named] = pc.multiply(total, sign).to_numpy(zero_copy_only=False)
    zoned |= named


def due_date_column(column: pd.Series, now: dt.datetime | None = None) -> DueDateColumn:
    """Due dates in Italian or ISO forms, read in Europe/Rome; a date alone means 23:59:59
    that day: a due date at the midnight that opens the day would fall a day early."""
    moments = moment_column(column, (23, 59, 59))
    valid = moments.valid
    present = moments.present
    error = np.where(present & ~valid, 0, -1).astype(np.int8)
    current = pd.Timestamp(now or dt.datetime.now(dt.UTC))
    current = current.tz_localize("UTC") if current.tzinfo is None else current
    warning = np.where(valid & (moments.stamps < current).to_numpy(), 0, -1).astype(np.int8)
    return DueDateColumn(
        values=moments.iso(),
        errors=categorical(error, DUE_DATE_ERRORS, column.index),
        warnings=categorical(warning, DUE_DATE_WARNINGS, column.index),
        present=present,
    )


def parse_due_date(value: str | dt.datetime | dt.date, now: dt.datetime | None = None) -> str:
    """A due date ("31/12/2026", "31/12/2026 18:00", an Excel date) as ISO-8601 UTC.

    Only a wrong date raises; a date in the past is accepted (see `due_date_column`).
    """
    checked = due_date_column(pd.Series([value], dtype=object), now)
    if not checked.present[0]:
        raise ContentError(due_date_message(DUE_DATE_FORMAT), code=DUE_DATE_FORMAT)
    code = checked.errors.iloc[0]
    single(checked.errors, due_date_message(code) if isinstance(code, str) else None)
    return str(checked.values.iloc[0])
