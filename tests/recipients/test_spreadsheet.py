"""Reading spreadsheets: encodings, separators, Excel cells, and files that are not tables."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from appio_core.recipient_file.reader import SpreadsheetError, read_sheet

LIMIT = 10 * 1024 * 1024
ROWS = (("Codice fiscale", "Nome", "Città"), ("RSSMRA85T10A562S", "Niccolò", "Forlì"))

# (description, bytes): all hold ROWS
TEXT_FILES = (
    ("utf-8 with ;", "\n".join(";".join(r) for r in ROWS).encode("utf-8")),
    ("utf-8 BOM with ,", b"\xef\xbb\xbf" + "\n".join(",".join(r) for r in ROWS).encode("utf-8")),
    ("utf-8 with tabs and CRLF", "\r\n".join("\t".join(r) for r in ROWS).encode("utf-8")),
    ("windows-1252 with ;", "\r\n".join(";".join(r) for r in ROWS).encode("cp1252")),
    ("latin-1 with ,", "\n".join(",".join(r) for r in ROWS).encode("latin-1")),
    ("utf-16 with tabs", "\r\n".join("\t".join(r) for r in ROWS).encode("utf-16")),
    (
        "quoted cells with separators inside",
        '"Codice fiscale";"Nome";"Città"\n"RSSMRA85T10A562S";"Niccolò";"Forlì"\n'.encode(),
    ),
)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "ciao")
    return buffer.getvalue()


# (description, bytes, filename, code, message)
NOT_TABLES = (
    ("nothing", b"", "a.csv", "file_vuoto", "Il file è vuoto."),
    ("blank lines", b"\r\n \r\n", "a.csv", "file_vuoto", "Il file è vuoto."),
    (
        "a PDF",
        b"%PDF-1.7\n...",
        "a.csv",
        "non_foglio_di_calcolo",
        "Il file non è un foglio di calcolo: carica un file .xlsx oppure .csv.",
    ),
    (
        "binary data",
        b"abc\x00def",
        "a.csv",
        "non_foglio_di_calcolo",
        "Il file non è un foglio di calcolo: carica un file .xlsx oppure .csv.",
    ),
    (
        "a zip that is no workbook",
        _zip(),
        "a.xlsx",
        "non_foglio_di_calcolo",
        "Il file Excel è danneggiato o non è un file .xlsx: aprilo e salvalo di nuovo.",
    ),
    (
        "an unclosed quote swallowing the rest of the row",
        b'cf;nome\n"RSSMRA85T10A562S;Mario\n',
        "a.csv",
        "righe_irregolari",
        "1 riga ha un numero di colonne diverso dall'intestazione (riga 2): ogni riga deve"
        " avere 2 campi separati da «punto e virgola».",
    ),
)


@pytest.mark.parametrize(("description", "content"), TEXT_FILES, ids=[t[0] for t in TEXT_FILES])
def test_csv_files_are_read_whatever_their_encoding_and_separator(
    description: str, content: bytes
) -> None:
    sheet = read_sheet(content, "a.csv", None, LIMIT)
    assert sheet.headers == list(ROWS[0])
    assert sheet.data.iloc[0].tolist() == list(ROWS[1])
    assert sheet.rows.tolist() == [2]


@pytest.mark.parametrize(
    ("description", "content", "filename", "code", "message"),
    NOT_TABLES,
    ids=[t[0] for t in NOT_TABLES],
)
def test_files_that_are_not_tables_are_refused_with_a_reason(
    description: str, content: bytes, filename: str, code: str, message: str
) -> None:
    with pytest.raises(SpreadsheetError) as raised:
        read_sheet(content, filename, None, LIMIT)
    assert (raised.value.code, raised.value.message) == (code, message)


def test_csv_cells_stay_text_as_written() -> None:
    sheet = read_sheet(b"cf;avviso;importo\nX;001234567890123456;12,50\n", "a.csv", None, LIMIT)
    assert sheet.data.iloc[0].tolist() == ["X", "001234567890123456", "12,50"]


def test_columns_without_a_header_are_left_out() -> None:
    sheet = read_sheet(b"cf;;nome;\nX;;Mario;\n", "a.csv", None, LIMIT)
    assert sheet.headers == ["cf", "nome"]
    assert sheet.data.iloc[0].tolist() == ["X", "Mario"]


def test_xlsx_gives_saved_values_and_dates_and_reads_a_named_sheet(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.title = "Note"
    sheet = workbook.create_sheet("Elenco")
    sheet.append(["cf", "importo", "scadenza"])
    sheet.append(["RSSMRA85T10A562S", 12.5, dt.datetime(2030, 12, 31, 18, 0)])
    path = tmp_path / "elenco.xlsx"
    workbook.save(path)
    read = read_sheet(path, "elenco.xlsx", "Elenco", LIMIT)
    assert read.headers == ["cf", "importo", "scadenza"]
    assert read.data.iloc[0].tolist() == [
        "RSSMRA85T10A562S",
        12.5,
        dt.datetime(2030, 12, 31, 18, 0),
    ]


def test_an_xlsx_whose_header_is_not_on_row_1_keeps_excel_row_numbers(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet["A3"] = "cf"
    sheet["A4"] = "RSSMRA85T10A562S"
    path = tmp_path / "a.xlsx"
    workbook.save(path)
    assert read_sheet(path, "a.xlsx", None, LIMIT).rows.tolist() == [4]


def test_a_file_object_is_read_up_to_the_size_limit_only() -> None:
    with pytest.raises(SpreadsheetError) as raised:
        read_sheet(io.BytesIO(b"x" * 2048), "a.csv", None, 1024)
    assert raised.value.message == (
        "Il file è troppo grande (2 KB): il massimo è 1 KB. Dividilo in più flussi."
    )


# (content, spreadsheet rows of the data): Excel shows a blank line as a row
BLANK_LINES = (
    (b"cf;nome\nA;1\nB;2\n", [2, 3]),
    (b"cf;nome\n\nA;1\n\n\nB;2\n\n", [3, 6]),
    (b"cf;nome\r\nA;1\r\n\r\nB;2\r\n", [2, 4]),
    (b'cf;nome\nA;"riga\n\nriga"\n\nB;2\n', [2, 4]),  # a cell's line breaks stay in its row
    (b"\n\ncf;nome\nA;1\n", [4]),
)


@pytest.mark.parametrize(("content", "rows"), BLANK_LINES)
def test_blank_lines_in_a_csv_keep_the_spreadsheet_s_row_numbers(
    content: bytes, rows: list[int]
) -> None:
    assert read_sheet(content, "a.csv", None, LIMIT).rows.tolist() == rows
