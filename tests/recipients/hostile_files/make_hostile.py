"""Writes the hostile recipient files of the security issue, each as it was seen.

The small ones are committed beside this script (run it to rewrite them:
`.venv/bin/python tests/recipients/hostile_files/make_hostile.py`); the big ones (an 18 MB zip
bomb, a 50 MB line, a 180 MB file of 10,000 columns) are made at test time into a temporary
directory by the same functions (`BIG`). Every file is deterministic, so that its expected
report (expected/*.json) stays the same.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
CODES = (
    "RSSMRA85T10A562S",
    "BNCLRA80A41H501D",
    "VRDLGU00B29F205X",
    "DLCFNC75E50Z110P",
    "VRDNCC90M10F205O",
)


def _far_cell_xlsx(path: Path, far: str) -> None:
    """A 1.6 KB workbook whose only cells are A1 and one far away: its <dimension> says
    A1:<far>, and a reader that builds the grid builds all of it."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Destinatari"
    sheet["A1"] = "codice fiscale"
    sheet[far] = "x"
    workbook.save(path)


def xlsx_a1_xfd1048576(path: Path) -> None:
    _far_cell_xlsx(path, "XFD1048576")  # 16,384 columns × 1,048,576 rows: 550 GB as a grid


def xlsx_a1_cv1048576(path: Path) -> None:
    _far_cell_xlsx(path, "CV1048576")  # 100 columns: within the column cap, 105 million cells


def xlsx_a1_cv1048576_no_dimension(path: Path) -> None:
    """The same without its <dimension>: only a scan of the cells finds how far it goes."""
    _far_cell_xlsx(path, "CV1048576")
    _rewrite_sheet(path, lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml))


def _rewrite_sheet(path: Path, change: Callable[[bytes], bytes]) -> None:
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["xl/worksheets/sheet1.xml"] = change(parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data)


def xlsx_zip_bomb(path: Path) -> None:
    """18 MB of zip holding 3.5 GB of sheet XML.

    A deflate segment that follows a full flush refers to nothing before it, so one
    compressed block of rows, repeated, decompresses to the rows repeated: the file is
    written in a second instead of compressing 3.5 GB."""
    _far_cell_xlsx(path, "B2")
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts.pop("xl/worksheets/sheet1.xml")
    head, _, _ = sheet.partition(b"<sheetData>")
    row = b'<row><c t="inlineStr"><is><t>RSSMRA85T10A562S</t></is></c></row>'
    block = row * (1024 * 1024 // len(row))
    repeats = 3_500_000_000 // len(block)
    opening = head + b"<sheetData>"
    closing = b"</sheetData></worksheet>"
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(opening) + compressor.flush(zlib.Z_FULL_FLUSH)
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(closing) + compressor.flush(zlib.Z_FINISH)
    crc = zlib.crc32(opening)
    block_crc = zlib.crc32(block)
    for _ in range(repeats):
        crc = _crc32_combine(crc, block_crc, len(block))
    crc = zlib.crc32(closing, crc)
    size = len(opening) + repeats * len(block) + len(closing)
    compressed = len(first) + repeats * len(segment) + len(last)
    name = b"xl/worksheets/sheet1.xml"
    with path.open("wb") as out:
        entries: list[tuple[bytes, int, int, int, int, int]] = []
        for part, data in parts.items():
            packed = zlib.compressobj(9, zlib.DEFLATED, -15)
            body = packed.compress(data) + packed.flush()
            entries.append((part.encode(), out.tell(), zlib.crc32(data), len(body), len(data), 8))
            out.write(_local_header(part.encode(), zlib.crc32(data), len(body), len(data)))
            out.write(body)
        entries.append((name, out.tell(), crc, compressed, size, 8))
        out.write(_local_header(name, crc, compressed, size))
        out.write(first)
        for _ in range(repeats):
            out.write(segment)
        out.write(last)
        directory = out.tell()
        for entry_name, offset, entry_crc, packed_size, plain_size, method in entries:
            out.write(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    20,
                    20,
                    0,
                    method,
                    0,
                    0x5C21,
                    entry_crc,
                    packed_size,
                    plain_size,
                    len(entry_name),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + entry_name
            )
        end = out.tell()
        out.write(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                len(entries),
                len(entries),
                end - directory,
                directory,
                0,
            )
        )


def _local_header(name: bytes, crc: int, packed: int, plain: int) -> bytes:
    return (
        struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x5C21, crc, packed, plain, len(name), 0
        )
        + name
    )


def _crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """zlib's crc32_combine (not exposed by Python's zlib): the CRC of A+B from both CRCs."""

    def times(matrix: list[int], vector: int) -> int:
        total = 0
        i = 0
        while vector:
            if vector & 1:
                total ^= matrix[i]
            vector >>= 1
            i += 1
        return total

    def square(matrix: list[int]) -> list[int]:
        return [times(matrix, matrix[n]) for n in range(32)]

    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = square(odd)
    odd = square(even)
    while True:
        even = square(odd)
        if length2 & 1:
            crc1 = times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = square(even)
        if length2 & 1:
            crc1 = times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


def csv_five_million_columns(path: Path) -> None:
    """A header of five million columns (10 MB on one line)."""
    path.write_bytes(b"codice fiscale" + b";c" * 4_999_999 + b"\n" + CODES[0].encode() + b"\n")


def csv_fifty_megabyte_line(path: Path) -> None:
    """One 50 MB line after the header: a cell that never ends."""
    line = CODES[0].encode() + b";" + b"A" * (50 * 1024 * 1024)
    path.write_bytes(b"codice fiscale;nome\n" + line + b"\n")


def csv_ten_thousand_columns(path: Path) -> None:
    """10,000 columns × 9,000 rows (180 MB)."""
    header = b"codice fiscale;" + b";".join(b"c%d" % i for i in range(1, 10_000)) + b"\n"
    row = CODES[0].encode() + b";" + b"x;" * 9_998 + b"x\n"
    with path.open("wb") as out:
        out.write(header)
        for _ in range(9_000):
            out.write(row)


def csv_nul_after_4kb(path: Path) -> None:
    """Ten citizens, padding past the first 4 KB (where the binary sniffing looks), then a NUL
    inside a name: it passed validation, then PostgreSQL refused it mid-import."""
    lines = ["codice fiscale;nome;note"]
    lines += [f"{CODES[i % 5]};Cittadino {i};" + "nota " * 100 for i in range(10)]
    content = ("\n".join(lines) + "\n").encode()
    assert len(content) > 4096
    path.write_bytes(content + CODES[1].encode() + b";Lau\x00ra;ok\n")


def csv_mixed_encodings(path: Path) -> None:
    """Rows pasted from a UTF-8 file into a Windows-1252 one: «Niccolò» both ways."""
    head = b"codice fiscale;nome\n"
    utf8 = f"{CODES[4]};Niccolò\n{CODES[0]};Mario\n".encode()
    cp1252 = f"{CODES[1]};Niccolò\n{CODES[2]};Gigliola Cinà\n".encode("cp1252")
    path.write_bytes(head + utf8 + cp1252)


SMALL = {
    "a1-xfd1048576.xlsx": xlsx_a1_xfd1048576,
    "a1-cv1048576.xlsx": xlsx_a1_cv1048576,
    "a1-cv1048576-senza-dimensione.xlsx": xlsx_a1_cv1048576_no_dimension,
    "nul-dopo-4kb.csv": csv_nul_after_4kb,
    "codifiche-miste.csv": csv_mixed_encodings,
}
BIG = {
    "bomba-zip.xlsx": xlsx_zip_bomb,
    "cinque-milioni-di-colonne.csv": csv_five_million_columns,
    "riga-di-50-mb.csv": csv_fifty_megabyte_line,
    "diecimila-colonne.csv": csv_ten_thousand_columns,
}


if __name__ == "__main__":
    for name, make in SMALL.items():
        make(HERE / name)
        print(name, (HERE / name).stat().st_size, "bytes")
