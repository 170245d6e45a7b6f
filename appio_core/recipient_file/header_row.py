"""Which row of a file is its header: many management programs export a title and a blank
line above it («Elenco avvisi TARI 2026», then the column names).

The header is the first row, among the first MAX_HEADER_ROW, that names a recipient column
(or a column the operator gave a meaning to), provided no codice fiscale came before it:
data before any header means the file has none, and its first row stays the header (the
usual «Manca la colonna dei destinatari» follows). A CSV line is counted before it is
split, so a candidate cannot build more fields than the limits allow.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from appio_core.content.cells import cell_text
from appio_core.content.template import header_key
from appio_core.recipient_file import guards
from appio_core.recipient_file.options import FileLimits

# A title, a subtitle, a date, blank lines: a handful of rows at most above a real header.
MAX_HEADER_ROW = 20
SEPARATORS = (";", ",", "\t")
_OMOCODE = "[0-9LMNPQRSTUV]"
_LOOKS_LIKE_FISCAL_CODE = re.compile(
    f"[A-Z]{{6}}{_OMOCODE}{{2}}[A-Z]{_OMOCODE}{{2}}[A-Z]{_OMOCODE}{{3}}[A-Z]"
)


@dataclass(frozen=True)
class CsvHeader:
    number: int  # the header's line in the file, from 1 (the spreadsheet's row)
    offset: int  # where that line starts, in bytes
    separator: str
    cells: list[str]


def sniff_separator(line: str) -> str:
    counts = {sep: count_outside_quotes(line, sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def count_outside_quotes(line: str, separator: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            count += 1
    return count


def fields_in_line(line: bytes, separator: str) -> int:
    """The fields of a CSV line, counted on its bytes (a separator inside quotes does not
    count): as fast on a 4 MB line as on a short one."""
    if b'"' not in line:
        return line.count(separator.encode()) + 1
    view = np.frombuffer(line, dtype=np.uint8)
    outside = (np.cumsum(view == ord('"')) & 1) == 0
    return int(np.count_nonzero((view == ord(separator)) & outside)) + 1


def _lines(content: bytes, limits: FileLimits) -> Iterator[tuple[int, int, bytes]]:
    """(line number, offset, line) of the first MAX_HEADER_ROW lines, none read beyond the
    longest line allowed."""
    start = 0
    for number in range(1, MAX_HEADER_ROW + 1):
        if start >= len(content):
            return
        end = content.find(b"\n", start, start + limits.max_line_bytes + 1)
        stop = end if end >= 0 else min(len(content), start + limits.max_line_bytes + 1)
        yield number, start, content[start:stop].rstrip(b"\r")
        if end < 0:
            return
        start = end + 1


def csv_header(content: bytes, lines: int, limits: FileLimits, keys: frozenset[str]) -> CsvHeader:
    """The header line of a CSV (UTF-8 bytes, `lines` long); UnicodeDecodeError if that line
    is not UTF-8. With no `keys` the first line with something in it is the header. Its
    width is checked against the limits before it is split."""
    first: tuple[int, int, bytes] | None = None
    chosen: tuple[int, int, bytes] | None = None
    for number, offset, line in _lines(content, limits):
        if not line.strip():
            continue
        first = first or (number, offset, line)
        if not keys:
            break
        text = line.decode("utf-8", errors="replace")
        separator = sniff_separator(text[:65_536])
        columns = fields_in_line(line, separator)
        if columns > limits.max_columns:
            # The header or a row: either way wider than any list of recipients.
            raise guards.too_many_columns(columns, limits)
        cells = next(csv.reader([text], delimiter=separator), [])
        if _names_a_column(cells, keys):
            chosen = (number, offset, line)
            break
        if _holds_fiscal_code(cells):
            break
    if first is None:  # only blank lines: the caller has refused an empty file already
        first = (1, 0, b"")
    number, offset, line = chosen or first
    text = line.decode("utf-8")
    separator = sniff_separator(text[:65_536])
    guards.check_csv_width(fields_in_line(line, separator), lines, limits)
    return CsvHeader(number, offset, separator, next(csv.reader([text], delimiter=separator), []))


def xlsx_header(rows: Sequence[Sequence[object]], first: int, keys: frozenset[str]) -> int:
    """The index of the header among a sheet's rows, from `first` (the first row with a value;
    rows are as wide as the sheet, which the xlsx guards bounded)."""
    if not keys:
        return first
    for index in range(first, min(first + MAX_HEADER_ROW, len(rows))):
        cells = [cell_text(c) for c in rows[index]]
        if _names_a_column(cells, keys):
            return index
        if _holds_fiscal_code(cells):
            break
    return first


def _names_a_column(cells: Iterable[str], keys: frozenset[str]) -> bool:
    return any(header_key(cell) in keys for cell in cells if cell and len(cell) < 200)


def _holds_fiscal_code(cells: Iterable[str]) -> bool:
    return any(
        _LOOKS_LIKE_FISCAL_CODE.fullmatch(cell.strip().replace(" ", "").upper())
        for cell in cells
        if 16 <= len(cell) <= 40
    )
