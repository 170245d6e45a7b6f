"""Bounds on an untrusted recipient file, checked before its data is expanded.

A spreadsheet is cheap to make and can be expensive to read: a 1.6 KB .xlsx can declare a
grid of 17 billion cells, an 18 MB zip can hold 3.5 GB of XML, a CSV can have one 50 MB line
or a header of five million columns. Everything here looks at the file's structure with
bounded memory (the zip's directory, a streamed scan of the sheet's XML, the CSV's line
lengths) and refuses with an Italian message before a parser builds anything. The parse
itself then runs in a child process with hard limits (sandbox.py) for whatever gets past.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.errors import InvalidInput
from appio_core.recipient_file.options import MB, FileLimits
from appio_core.recipient_file.report import italian_list, italian_number

TOO_MANY_COLUMNS = "troppe_colonne"
TOO_MANY_CELLS = "troppe_celle"
LINE_TOO_LONG = "riga_troppo_lunga"
CELL_TOO_LONG = "cella_troppo_lunga"
ZIP_UNSAFE = "archivio_anomalo"
CONTROL_CHARACTERS = "caratteri_di_controllo"
MIXED_ENCODING = "codifiche_miste"

_SHOWN = 10  # places named in a message; the count says how many there are in all
_BLOCK = 16 * MB


class SpreadsheetError(InvalidInput):
    """The file cannot be read as a table; `.code` says why, `.message` tells the operator."""

    code = "non_foglio_di_calcolo"


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} byte"
    if size < MB:
        return f"{-(-size // 1024)} KB"
    if size < 1024 * MB:
        return f"{size / MB:.1f} MB".replace(".", ",")
    return f"{size / MB / 1024:.1f} GB".replace(".", ",")


def _places(items: list[str], total: int) -> str:
    shown = items[:_SHOWN]
    if total > len(shown):
        shown.append(f"altre {italian_number(total - len(shown))}")
    return italian_list(shown)


# ---- CSV ----------------------------------------------------------------------------------------


def check_csv_lines(content: bytes, limits: FileLimits) -> int:
    """The number of lines, once the longest is known to be within the limit."""
    longest, at, lines = _longest_line(content)
    if longest > limits.max_line_bytes:
        raise SpreadsheetError(
            f"La riga {italian_number(at)} del file è lunga {size_text(longest)}: il massimo è"
            f" {size_text(limits.max_line_bytes)} per riga. Non sembra un elenco di destinatari"
            " (una riga per cittadino): controlla di aver scelto il file giusto, oppure"
            " riesportalo come CSV dal programma di origine.",
            code=LINE_TOO_LONG,
        )
    return lines + (0 if content.endswith(b"\n") else 1)


def check_csv_width(columns: int, lines: int, limits: FileLimits) -> None:
    if columns > limits.max_columns:
        raise too_many_columns(columns, limits)
    if columns * lines > limits.max_csv_cells:
        raise SpreadsheetError(
            f"Il file ha {italian_number(lines)} righe per {italian_number(columns)} colonne:"
            f" oltre il massimo di {italian_number(limits.max_csv_cells)} celle. Togli le"
            " colonne che non servono al flusso, oppure dividilo in più flussi.",
            code=TOO_MANY_CELLS,
        )


def too_many_columns(columns: int, limits: FileLimits, cut: bool = False) -> SpreadsheetError:
    """`cut`: only the start of the header was counted (it is longer than a line may be)."""
    return SpreadsheetError(
        f"Il file ha {'più di ' if cut else ''}{italian_number(columns)} colonne: il massimo è"
        f" {italian_number(limits.max_columns)}. Tieni solo le colonne che servono al flusso"
        " (codice fiscale, quelle usate nei modelli, importo, numero avviso, scadenza) e"
        " carica di nuovo il file.",
        code=TOO_MANY_COLUMNS,
    )


def first_line(content: bytes, limits: FileLimits) -> bytes:
    """The header line, read no further than the longest line allowed."""
    start = len(content) - len(content.lstrip(b"\r\n"))
    end = content.find(b"\n", start, start + limits.max_line_bytes + 1)
    return content[start : (end if end >= 0 else start + limits.max_line_bytes + 1)]


def _longest_line(content: bytes) -> tuple[int, int, int]:
    """(length in bytes, 1-based line number, number of lines) of the longest line.

    Newlines are found a block at a time with numpy: a 200 MB file costs tens of
    milliseconds and one block of memory."""
    longest, longest_at, previous, lines = 0, 1, -1, 0
    view = memoryview(content)
    for offset in range(0, len(content), _BLOCK):
        block = np.frombuffer(view[offset : offset + _BLOCK], dtype=np.uint8)
        ends = np.flatnonzero(block == 10) + offset
        if len(ends):
            gaps = np.diff(ends, prepend=previous) - 1
            i = int(np.argmax(gaps))
            if gaps[i] > longest:
                longest, longest_at = int(gaps[i]), lines + i + 1
            lines += len(ends)
            previous = int(ends[-1])
    tail = len(content) - previous - 1
    if tail > longest:
        longest, longest_at = tail, lines + 1
    return longest, longest_at, lines


# Control characters have no place in a name, an address or a message: they come from a
# broken export or a binary file, and a NUL is refused by PostgreSQL. Tab, line feed and
# carriage return are ordinary in CSV cells. C1 controls (U+0080-U+009F) appear when text in
# one encoding was read as another.
# U+0080-U+009F in UTF-8; the literal first byte lets the regex engine skip ahead fast.
_C1_BYTES = re.compile(rb"\xc2[\x80-\x9f]")
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{80}-\x{9f}]"
_CONTROL_PY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def may_hold_control_characters(content: bytes) -> bool:
    """A scan of the raw bytes (tens of milliseconds for 50 MB, a regex took ten times as
    long): only when it finds one are the cells searched, to name rows and columns."""
    if b"\x7f" in content or _C1_BYTES.search(content):
        return True
    below_space = 0
    view = np.frombuffer(content, dtype=np.uint8)
    for offset in range(0, len(view), _BLOCK):
        below_space += int(np.count_nonzero(view[offset : offset + _BLOCK] < 32))
    allowed = content.count(b"\n") + content.count(b"\r") + content.count(b"\t")
    return below_space != allowed


def check_cells(
    headers: list[str], data: pd.DataFrame, rows: np.ndarray, limits: FileLimits, scan: bool
) -> None:
    """Cells too long, and control characters (only searched when `scan`)."""
    long_cells: list[str] = []
    long_total, worst = 0, 0
    controls: list[str] = []
    control_total = 0
    found_chars: set[str] = set()
    for position, header in enumerate(headers):
        column = data[position]
        text = _strings(column)
        lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
        over = np.flatnonzero(lengths > limits.max_cell_chars)
        if len(over):
            long_total += len(over)
            worst = max(worst, int(lengths[over].max()))
            long_cells += [f"riga {rows[i]} colonna «{header}»" for i in over[:_SHOWN]]
        if not scan:
            continue
        bad = np.flatnonzero(pc.match_substring_regex(text, _CONTROL).to_numpy(False))
        if len(bad):
            control_total += len(bad)
            controls += [f"riga {rows[i]} colonna «{header}»" for i in bad[:_SHOWN]]
            for i in bad[:_SHOWN]:
                found_chars.update(_CONTROL_PY.findall(str(text[int(i)].as_py())))
    if control_total:
        names = ", ".join(_char_name(c) for c in sorted(found_chars)[:3])
        raise SpreadsheetError(
            f"Il file contiene caratteri di controllo non ammessi ({names}) in"
            f" {_places(sorted(controls, key=_row_of), control_total)}: di solito vengono da"
            " un'esportazione difettosa o da un file che non è un elenco. Cancellali dalle"
            " celle indicate (o riesporta il file) e caricalo di nuovo.",
            code=CONTROL_CHARACTERS,
        )
    if long_total:
        raise SpreadsheetError(
            "Alcune celle sono troppo lunghe"
            f" ({_places(sorted(long_cells, key=_row_of), long_total)},"
            f" fino a {italian_number(worst)} caratteri): il massimo per una cella è"
            f" {italian_number(limits.max_cell_chars)}. Controlla quelle celle e correggile.",
            code=CELL_TOO_LONG,
        )


def check_headers(headers: list[str], limits: FileLimits) -> None:
    text = "\n".join(headers)
    if len(text) > limits.max_cell_chars * 4 or _CONTROL_PY.search(text):
        raise SpreadsheetError(
            "L'intestazione (riga 1) contiene caratteri di controllo o nomi di colonna"
            " lunghissimi: scrivi nella prima riga solo i nomi delle colonne.",
            code=CONTROL_CHARACTERS,
        )


def _row_of(place: str) -> int:
    return int(place.split()[1])


def _char_name(char: str) -> str:
    names = {"\x00": "NUL", "\x1a": "SUB", "\x7f": "DEL", "\x0b": "VT", "\x0c": "FF"}
    code = f"U+{ord(char):04X}"
    return f"{names[char]}, {code}" if char in names else code


def _strings(column: pd.Series) -> pa.Array | pa.ChunkedArray:
    if column.dtype == object:  # Excel's own values: only the text cells can hold these
        values = [v if isinstance(v, str) else "" for v in column.tolist()]
        return pa.array(values, type=pa.large_string())
    return pa.array(column, type=pa.large_string()) if not len(column) else _arrow(column)


def _arrow(column: pd.Series) -> pa.Array | pa.ChunkedArray:
    array = column.array
    if hasattr(array, "_pa_array"):  # pandas' Arrow-backed strings: no copy
        return array._pa_array
    return pa.array(column.fillna("").astype("str"), type=pa.large_string())


# ---- mixed encodings ----------------------------------------------------------------------------

_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def check_single_encoding(content: bytes) -> None:
    """Called for a file that is not valid UTF-8, before it is read as Windows-1252.

    If some of its lines are valid UTF-8 with accented letters, the file mixes the two (rows
    pasted from another file): read either way, one part would come out garbled («NiccolÃ²»).
    """
    if _UTF8_SEQUENCE.search(content) is None:
        return
    utf8_lines: list[str] = []
    other_lines: list[str] = []
    utf8_total = other_total = 0
    for number, line in enumerate(content.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other_total += 1
            if len(other_lines) < _SHOWN:
                other_lines.append(str(number))
        else:
            utf8_total += 1
            if len(utf8_lines) < _SHOWN:
                utf8_lines.append(str(number))
    if not utf8_total or not other_total:
        return
    raise SpreadsheetError(
        "Il file mescola due codifiche dei caratteri: "
        f"{_lines_phrase(utf8_lines, utf8_total)} in UTF-8,"
        f" {_lines_phrase(other_lines, other_total)} in Windows-1252, e le lettere accentate di"
        " una delle due parti risulterebbero sbagliate (come «NiccolÃ²»). Correggi le lettere"
        " accentate e salva il file come «CSV UTF-8», poi caricalo di nuovo.",
        code=MIXED_ENCODING,
    )


def _lines_phrase(numbers: list[str], total: int) -> str:
    if total == 1:
        return f"la riga {_places(numbers, total)} è"
    return f"le righe {_places(numbers, total)} sono"
