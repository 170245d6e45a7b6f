"""Reading an operator's spreadsheet (.csv or .xlsx) into columns, or saying why it cannot be read.

CSV goes through pyarrow's multi-threaded reader, every cell as text (leading zeros and
"12,50" stay as written). Excel goes through python-calamine, which reads the values Excel
saved for formulas and gives dates as dates; it read a 100,000-row sheet about ten times
faster than openpyxl's read-only mode here (bench/RESULTS-validation.md).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import python_calamine

from appio_core.content.cells import cell_text
from appio_core.recipient_file import guards, xlsx_guards
from appio_core.recipient_file.guards import SpreadsheetError, size_text
from appio_core.recipient_file.header_row import (
    count_outside_quotes,
    csv_header,
    sniff_separator,
    xlsx_header,
)
from appio_core.recipient_file.options import FileLimits
from appio_core.recipient_file.report import italian_list

Source = Path | bytes | BinaryIO

FILE_EMPTY = "file_vuoto"
FILE_TOO_LARGE = "file_troppo_grande"
NOT_A_SPREADSHEET = "non_foglio_di_calcolo"
UNSUPPORTED_FORMAT = "formato_non_supportato"
SHEET_NOT_FOUND = "foglio_mancante"
NO_HEADER = "intestazione_mancante"
RAGGED_ROWS = "righe_irregolari"

# Signatures of files operators upload by mistake; anything else binary is caught by NUL bytes.
_BINARY_SIGNATURES = (b"\x89PNG", b"%PDF", b"\xff\xd8\xff", b"GIF8", b"BM")


@dataclass(frozen=True)
class Sheet:
    """A table as the operator sees it.

    `headers` are the header cells as written; `data` has one column per header (named by
    position, 0..n-1), text for CSV and Excel's own values (str, float, datetime...) for xlsx;
    `rows` is each data row's number in the spreadsheet; `header_row` the header's (1, unless
    a title sits above it: header_row.py). Rows with no value at all are left out, since
    operators leave blank lines and trailing empty rows.
    """

    headers: list[str]
    data: pd.DataFrame
    rows: np.ndarray
    header_row: int = 1


def read_sheet(
    source: Source,
    filename: str,
    sheet: str | None,
    max_bytes: int,
    limits: FileLimits | None = None,
    header_keys: frozenset[str] = frozenset(),
) -> Sheet:
    """The table, or SpreadsheetError. The file's shape is checked against `limits` before
    anything is expanded (guards.py); call this in the sandboxed child (sandbox.py). The
    header is the first row naming one of `header_keys`, when a title sits above it
    (header_row.py); with none, the first row with a value."""
    limits = limits or FileLimits()
    if isinstance(source, Path):
        _check_csv_header_of(source, limits)
    content = _read_bytes(source, max_bytes)
    if not content or content.isspace():  # isspace stops at the first other byte: no copy
        raise SpreadsheetError("Il file è vuoto.", code=FILE_EMPTY)
    if content.startswith(b"PK\x03\x04"):
        xlsx_guards.check_xlsx_shape(content, sheet, limits)
        return _read_xlsx(content, sheet, limits, header_keys)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetError(
            "Il file è nel vecchio formato Excel 97-2003 (.xls): aprilo in Excel e salvalo"
            " come .xlsx o come CSV.",
            code=UNSUPPORTED_FORMAT,
        )
    content = _to_utf8(content, filename)
    _check_header_width(content, limits)
    lines = guards.check_csv_lines(content, limits)
    try:
        return _read_csv(content, lines, limits, header_keys)
    except _NotUtf8:
        guards.check_single_encoding(content)
        return _read_csv(_windows_1252_to_utf8(content), lines, limits, header_keys)


def _check_csv_header_of(path: Path, limits: FileLimits) -> None:
    """A CSV's header width from the file's first line alone, before the whole file is read
    into memory: a wide file is refused at the cost of one line, not of its size."""
    with path.open("rb") as file:
        head = file.read(limits.max_line_bytes + 4096)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\xff\xfe", b"\xfe\xff")):
        return  # xlsx, old Excel and UTF-16 have their own checks after the read
    _check_header_width(head.removeprefix(b"\xef\xbb\xbf"), limits)


def _read_bytes(source: Source, max_bytes: int) -> bytes:
    if isinstance(source, Path):
        size = source.stat().st_size
        if size > max_bytes:
            raise _too_large(size, max_bytes)
        return source.read_bytes()
    content = source if isinstance(source, bytes) else source.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise _too_large(len(content), max_bytes)
    return content


def _too_large(size: int, max_bytes: int) -> SpreadsheetError:
    return SpreadsheetError(
        f"Il file è troppo grande ({size_text(size)}): il massimo è {size_text(max_bytes)}."
        " Dividilo in più flussi.",
        code=FILE_TOO_LARGE,
    )


def _not_a_spreadsheet(filename: str) -> SpreadsheetError:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        message = (
            "Il file ha l'estensione .xlsx ma non è un file Excel: carica il foglio di"
            " calcolo salvato da Excel (.xlsx) oppure un CSV."
        )
    else:
        message = "Il file non è un foglio di calcolo: carica un file .xlsx oppure .csv."
    return SpreadsheetError(message, code=NOT_A_SPREADSHEET)


def _to_utf8(content: bytes, filename: str) -> bytes:
    """UTF-8 bytes from UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"),
    or Windows-1252, the encoding of CSV files saved by Excel on Italian Windows."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise _not_a_spreadsheet(filename) from None
    head = content[:4096]
    if b"\x00" in head or head.startswith(_BINARY_SIGNATURES):
        raise _not_a_spreadsheet(filename)
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    # Whether the rest is UTF-8 is left to the CSV parser, which checks as it converts: a
    # separate decoding pass would cost as much as the parse on a large file.
    return content


def _check_header_width(content: bytes, limits: FileLimits) -> None:
    """The header's number of columns, from its first line alone (read no further than the
    longest line allowed): a header of millions of columns is refused as such, before its
    length is."""
    line = guards.first_line(content, limits)
    separator = sniff_separator(line[:65_536].decode("utf-8", errors="replace"))
    if b'"' in line:
        columns = count_outside_quotes(line.decode("utf-8", errors="replace"), separator) + 1
    else:
        columns = line.count(separator.encode()) + 1
    if columns > limits.max_columns:
        raise guards.too_many_columns(columns, limits, cut=len(line) > limits.max_line_bytes)


def _windows_1252_to_utf8(content: bytes) -> bytes:
    try:
        return content.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError:
        # Five byte values have no character in Windows-1252; Latin-1 maps every byte.
        return content.decode("latin-1").encode("utf-8")


class _NotUtf8(Exception):
    pass


def _read_csv(content: bytes, lines: int, limits: FileLimits, keys: frozenset[str]) -> Sheet:
    try:
        # Its width is checked before the csv module splits it: a header of millions of
        # fields is refused without building them.
        header = csv_header(content, lines, limits, keys)
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    separator, headers = header.separator, header.cells
    width = len(headers)
    # The table starts at the header: a title above it is not parsed (and not copied).
    body_bytes = pa.py_buffer(content).slice(header.offset)
    above = header.number - 1  # lines above the header, added to the parser's numbers
    # Only a quoted cell can hold a line break, and the parser that allows them is slower.
    quoted = b'"' in content
    try:
        table, ragged = _parse_csv(body_bytes, separator, width, True, quoted)
        if ragged:
            # Only a single-threaded parse knows the line numbers of bad rows; it runs only
            # for a file that is refused anyway.
            _, ragged = _parse_csv(body_bytes, separator, width, False, quoted)
    except (pa.ArrowInvalid, ValueError) as exc:
        if "invalid UTF8" in str(exc):
            raise _NotUtf8 from None
        raise SpreadsheetError(
            "Il file CSV non si riesce a leggere (virgolette non chiuse o righe spezzate):"
            " riesportalo dal programma di origine.",
            code=NOT_A_SPREADSHEET,
        ) from exc
    if ragged:
        numbers = [str(n + above) for n in ragged if n is not None]
        shown = italian_list(numbers[:10] + ([f"altre {len(numbers) - 10}"] * (len(numbers) > 10)))
        where = f" ({'riga' if len(numbers) == 1 else 'righe'} {shown})" if numbers else ""
        raise SpreadsheetError(
            f"{_rows_phrase(len(ragged))} un numero di colonne diverso dall'intestazione{where}:"
            f" ogni riga deve avere {width} campi separati da «{_separator_name(separator)}».",
            code=RAGGED_ROWS,
        )
    body = table.slice(1)
    data = pd.DataFrame({i: pd.Series(pd.array(body.column(i), dtype="str")) for i in range(width)})
    filled = np.zeros(len(data), dtype=bool)
    for i in range(width):
        column = body.column(i)
        blank = pc.or_(pc.equal(column, ""), pc.utf8_is_space(column))
        filled |= ~blank.to_numpy(zero_copy_only=False)
    # A record spanning several lines (a quoted text with line breaks) is still one
    # spreadsheet row, as Excel shows it.
    rows = np.arange(header.number + 1, header.number + 1 + len(data), dtype=np.int64)
    if content.find(b"\n\n", header.offset) >= 0 or content.find(b"\n\r\n", header.offset) >= 0:
        around = _rows_around_blank_lines(content[header.offset :], separator, len(data))
        rows = rows if around is None else around + above
    return _sheet(
        [h.strip() for h in headers],
        data,
        rows,
        filled,
        limits,
        scan=guards.may_hold_control_characters(content),
        header_row=header.number,
    )


def _rows_around_blank_lines(content: bytes, separator: str, records: int) -> np.ndarray | None:
    """Row numbers when blank lines sit among the records: the CSV parser drops them, Excel
    shows each as a row. Python's csv module reports them (as []), at a cost paid only here;
    None if the two parsers do not count the same records."""
    reader = csv.reader(io.StringIO(content.decode("utf-8"), newline=""), delimiter=separator)
    try:
        kept = [number for number, cells in enumerate(reader, start=1) if cells]
    except csv.Error:  # a cell over the csv module's own size limit: keep pyarrow's count
        return None
    if len(kept) != records + 1:  # the header, then the data
        return None
    return np.array(kept[1:], dtype=np.int64)


def _parse_csv(
    content: pa.Buffer, separator: str, width: int, use_threads: bool, quoted: bool
) -> tuple[pa.Table, list[int | None]]:
    """Every cell as text; rows with a wrong number of cells are skipped and listed.
    `quoted`: the file has a quote, so a cell may hold a line break."""
    ragged: list[int | None] = []

    def note_ragged(row: pa_csv.InvalidRow) -> str:
        ragged.append(row.number)
        return "skip"

    table = pa_csv.read_csv(
        pa.BufferReader(content),
        read_options=pa_csv.ReadOptions(
            column_names=[f"c{i}" for i in range(width)], use_threads=use_threads
        ),
        parse_options=pa_csv.ParseOptions(
            delimiter=separator,
            newlines_in_values=quoted,
            invalid_row_handler=note_ragged,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={f"c{i}": pa.large_string() for i in range(width)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table, ragged


def _rows_phrase(count: int) -> str:
    return "1 riga ha" if count == 1 else f"{count} righe hanno"


def _separator_name(separator: str) -> str:
    return {";": "punto e virgola", ",": "virgola", "\t": "tabulazione"}[separator]


def _read_xlsx(
    content: bytes, sheet_name: str | None, limits: FileLimits, keys: frozenset[str]
) -> Sheet:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises several unrelated types for a broken zip
        raise SpreadsheetError(
            "Il file Excel è danneggiato o non è un file .xlsx: aprilo e salvalo di nuovo.",
            code=NOT_A_SPREADSHEET,
        ) from exc
    names = workbook.sheet_names
    if sheet_name is not None and sheet_name not in names:
        raise SpreadsheetError(
            f"Il foglio «{sheet_name}» non c'è nel file: i fogli sono "
            + ", ".join(f"«{n}»" for n in names)
            + ".",
            code=SHEET_NOT_FOUND,
        )
    sheet = workbook.get_sheet_by_name(sheet_name or names[0])
    # skip_empty_area=False keeps the grid anchored at A1, so list index + 1 is the Excel row.
    cells = sheet.to_python(skip_empty_area=False)
    header_at = next((i for i, row in enumerate(cells) if any(_filled(c) for c in row)), None)
    if header_at is None:
        raise SpreadsheetError("Il foglio è vuoto.", code=FILE_EMPTY)
    header_at = xlsx_header(cells, header_at, keys)
    headers = [cell_text(c).strip() for c in cells[header_at]]
    if len(headers) > limits.max_columns:
        raise guards.too_many_columns(len(headers), limits)
    width = len(headers)
    body = cells[header_at + 1 :]
    if any(len(row) != width for row in body):
        body = [(row + [""] * width)[:width] for row in body]
    data = pd.DataFrame(body, columns=range(width), dtype=object)
    if data.empty:
        data = pd.DataFrame({i: pd.Series([], dtype=object) for i in range(width)})
    filled = np.array([any(_filled(c) for c in row) for row in body], dtype=bool)
    rows = np.arange(header_at + 2, header_at + 2 + len(body), dtype=np.int64)
    return _sheet(headers, data, rows, filled, limits, scan=True, header_row=header_at + 1)


def _filled(cell: object) -> bool:
    # Called for every cell until one is filled: the common cases first, without cell_text.
    if isinstance(cell, str):
        return cell != "" and not cell.isspace()
    return cell is not None


def _sheet(
    headers: list[str],
    data: pd.DataFrame,
    rows: np.ndarray,
    filled: np.ndarray,
    limits: FileLimits,
    scan: bool,
    header_row: int = 1,
) -> Sheet:
    if not any(headers):
        raise SpreadsheetError(
            "La prima riga del foglio deve contenere i nomi delle colonne.", code=NO_HEADER
        )
    # Columns without a header carry nothing a flow can use (Excel often saves stray empty ones).
    kept = [i for i, header in enumerate(headers) if header]
    if len(kept) < len(headers):
        data = data[kept]
        data.columns = range(len(kept))
    if not filled.all():
        data = data.iloc[filled]
    sheet = Sheet(
        headers=[headers[i] for i in kept],
        data=data.reset_index(drop=True),
        rows=rows[filled],
        header_row=header_row,
    )
    guards.check_headers(sheet.headers, limits)
    guards.check_cells(sheet.headers, sheet.data, sheet.rows, limits, scan)
    return sheet
