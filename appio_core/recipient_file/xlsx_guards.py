"""Bounds on an untrusted .xlsx, checked before calamine expands it (see guards.py).

An .xlsx is a zip of XML: its directory says how many entries there are and how big each
becomes; the chosen sheet's <dimension> says how far its grid goes, and a streamed scan of
its cells says so too when the <dimension> is missing or lies. Each is read with bounded
memory and refused as soon as a limit is passed.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from xml.etree import ElementTree

from appio_core.recipient_file.guards import (
    TOO_MANY_CELLS,
    TOO_MANY_COLUMNS,
    ZIP_UNSAFE,
    SpreadsheetError,
    size_text,
)
from appio_core.recipient_file.options import MB, FileLimits
from appio_core.recipient_file.report import italian_number

_FIX_EXCEL = "aprilo in Excel e salvalo di nuovo come .xlsx, oppure esportalo come CSV"


_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension\s+ref="([A-Za-z]{1,4})?\$?(\d+)?:?\$?([A-Za-z]{1,4})?\$?(\d+)?"'
)
# Cell references are the only r="..." values that start with a letter (rows have numbers);
# the literal prefix lets the regex engine skip ahead, where "<c ..." made it try every tag.
_CELL_REF = rb' r="('
_ROW_REF = re.compile(rb'<(?:\w+:)?row\s[^>]*?r="(\d{1,8})"')
_SMALL_XML = 16 * MB  # workbook.xml and its relationships are a few KB


def check_xlsx_shape(content: bytes, sheet_name: str | None, limits: FileLimits) -> None:
    """The zip's directory, then the chosen sheet's declared and actual extent.

    Declared sizes can lie: the sheet is also decompressed as a stream, counting bytes and
    cells, and abandoned as soon as a limit is passed."""
    _check_entry_count(content, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
        return  # not a zip after all: the Excel reader says so in its own words
    for entry in entries:
        if entry.file_size > limits.max_xml_bytes or (
            entry.file_size > MB
            and entry.file_size > limits.max_zip_ratio * max(entry.compress_size, 1)
        ):
            raise _zip_unsafe(
                f"«{entry.filename}» si espanderebbe a {size_text(entry.file_size)}"
                f" partendo da {size_text(entry.compress_size)}"
            )
    path = _sheet_path(archive, sheet_name)
    if path is None:
        return  # a missing sheet or a workbook without the usual parts: the reader says so
    _scan_sheet(archive, path, limits)
    if "xl/sharedStrings.xml" in archive.namelist():
        _drain(archive, "xl/sharedStrings.xml", limits)


def _zip_unsafe(what: str) -> SpreadsheetError:
    return SpreadsheetError(
        f"Il file Excel contiene dati compressi in modo anomalo ({what}): {_FIX_EXCEL}.",
        code=ZIP_UNSAFE,
    )


def _check_entry_count(content: bytes, limits: FileLimits) -> None:
    """The entry count from the end-of-directory record, before zipfile reads the directory
    (it builds an object per entry)."""
    tail_start = max(0, len(content) - 65_557)
    at = content.rfind(_EOCD, tail_start)
    if at < 0 or at + 22 > len(content):
        return
    (entries,) = struct.unpack_from("<H", content, at + 10)
    if entries == 0xFFFF:
        locator = at - 20
        if locator >= 0 and content[locator : locator + 4] == _ZIP64_LOCATOR:
            (record,) = struct.unpack_from("<Q", content, locator + 8)
            if record + 40 <= len(content):
                (entries,) = struct.unpack_from("<Q", content, record + 32)
    if entries > limits.max_zip_entries:
        raise _zip_unsafe(f"{italian_number(entries)} elementi nell'archivio")


def _small_xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    try:
        with archive.open(name) as part:
            data = part.read(_SMALL_XML + 1)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if len(data) > _SMALL_XML or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _zip_unsafe(f"«{name}» non è un indice di fogli normale")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None


def _sheet_path(archive: zipfile.ZipFile, sheet_name: str | None) -> str | None:
    workbook = _small_xml(archive, "xl/workbook.xml")
    rels = _small_xml(archive, "xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None:
        return None
    sheets = [e for e in workbook.iter() if e.tag.endswith("}sheet") or e.tag == "sheet"]
    chosen = next((s for s in sheets if sheet_name is None or s.get("name") == sheet_name), None)
    if chosen is None:
        return None
    target_id = chosen.get(f"{{{_RELS_NS}}}id")
    for rel in rels.iter():
        if rel.get("Id") == target_id and rel.get("Target"):
            target = str(rel.get("Target"))
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + (letter - 64)
    return number


def _column_name(number: int) -> str:
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _check_grid(columns: int, rows: int, limits: FileLimits) -> None:
    if columns > limits.max_columns:
        raise SpreadsheetError(
            f"Il foglio usa {italian_number(columns)} colonne (fino alla colonna"
            f" {_column_name(columns)}): il massimo è {italian_number(limits.max_columns)}."
            " Se ci sono celle compilate per sbaglio lontano dai dati, elimina le colonne e le"
            " righe vuote dopo i dati e salva di nuovo; tieni solo le colonne che servono al"
            " flusso.",
            code=TOO_MANY_COLUMNS,
        )
    if columns * rows > limits.max_xlsx_cells:
        raise SpreadsheetError(
            f"Il foglio va dalla cella A1 alla cella {_column_name(columns)}{rows}:"
            f" {italian_number(rows)} righe per {italian_number(columns)} colonne, oltre il"
            f" massimo di {italian_number(limits.max_xlsx_cells)} celle per un file Excel. Se ci"
            " sono celle compilate per sbaglio lontano dai dati, elimina le righe e le colonne"
            " vuote dopo i dati e salva di nuovo; per elenchi molto lunghi salva il foglio come"
            " CSV.",
            code=TOO_MANY_CELLS,
        )


def _scan_sheet(archive: zipfile.ZipFile, path: str, limits: FileLimits) -> None:
    """The sheet's <dimension>, then every cell reference, streamed in blocks."""
    total = max_column = max_row = 0
    carry = b""
    first = True
    try:
        part = archive.open(path)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return
    with part:
        while True:
            try:
                block = part.read(MB)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError):
                return  # a broken stream: the reader refuses the file in its own words
            if not block:
                break
            total += len(block)
            if total > limits.max_xml_bytes:
                raise _zip_unsafe(f"«{path}» si espande oltre {size_text(limits.max_xml_bytes)}")
            text = carry + block
            cut = text.rfind(b"<")
            text, carry = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
            if first:
                first = False
                found = _DIMENSION.search(text)
                if found and found.group(3) and found.group(4):
                    _check_grid(_column_number(found.group(3)), int(found.group(4)), limits)
            max_column = _widest(text, max_column)
            max_row = max(max_row, _last_row(text))
            _check_grid(max_column, max_row, limits)


def _last_row(text: bytes) -> int:
    """The number of the last row in the block (rows come in order); a prefixed <x:row> is
    looked for only when no plain <row> is there."""
    at = text.rfind(b"<row ")
    found = _ROW_REF.match(text, at) if at >= 0 else None
    if found:
        return int(found.group(1))
    rows = _ROW_REF.findall(text)
    return int(rows[-1]) if rows else 0


def _widest(text: bytes, known: int) -> int:
    """The widest column among the cell references, found by searching only for a column
    beyond the widest known so far: one scan in the usual case, where listing every
    reference cost a third of a second per 100,000 rows."""
    while True:
        found = re.search(_CELL_REF + _beyond(_column_name(known)) + rb")[0-9]", text)
        if found is None:
            return known
        known = _column_number(found.group(1))


def _beyond(letters: str) -> bytes:
    """A regex for column names after `letters` (longer ones, or as long and later)."""
    options = [f"[A-Z]{{{len(letters) + 1},4}}"]
    for i, letter in enumerate(letters):
        if letter != "Z":
            rest = len(letters) - i - 1
            options.append(f"{letters[:i]}[{chr(ord(letter) + 1)}-Z][A-Z]{{{rest}}}")
    return ("(?:" + "|".join(options) + ")").encode()


def _drain(archive: zipfile.ZipFile, name: str, limits: FileLimits) -> None:
    """Decompresses an entry without keeping it, to catch a size its header understated."""
    total = 0
    try:
        with archive.open(name) as part:
            while block := part.read(4 * MB):
                total += len(block)
                if total > limits.max_xml_bytes:
                    raise _zip_unsafe(
                        f"«{name}» si espande oltre {size_text(limits.max_xml_bytes)}"
                    )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
