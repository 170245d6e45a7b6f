"""Files made for other IO tools import as they are: IO's own field names (PagoPA's old
developer portal, GovIO), the Italian names of the payment columns, amounts in cents, ISO
dates, a send date per row, a title above the header. The golden files show whole reports;
these tables pin each rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from appio_core.content.amounts import amount_column
from appio_core.content.due_dates import due_date_column
from appio_core.content.flags import flag_column
from appio_core.content.send_dates import send_date_column
from appio_core.recipient_file.columns import (
    AMOUNT,
    AMOUNT_CENTS,
    DUE_DATE,
    FISCAL_CODE,
    INVALID_AFTER_DUE_DATE,
    MARKDOWN,
    NOTICE_NUMBER,
    SEND_AFTER,
    SUBJECT,
    TEXT_ONLY,
    column_roles,
    header_keys,
    parse_column_choice,
)
from appio_core.recipient_file.guards import SpreadsheetError
from appio_core.recipient_file.header_row import MAX_HEADER_ROW
from appio_core.recipient_file.options import FileLimits
from appio_core.recipient_file.reader import read_sheet
from appio_core.recipient_file.validation import FileOptions, validate_file

LIMIT = 10 * 1024 * 1024
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
KEYS = header_keys({})
TEXT = "Gentile contribuente, " + "le ricordiamo una scadenza importante del Comune. " * 3

# (header, role it is read with on a payment flow)
NAMES = (
    ("fiscal_code", FISCAL_CODE),
    ("taxcode", FISCAL_CODE),
    ("Codice fiscale", FISCAL_CODE),
    ("subject", SUBJECT),
    ("markdown", MARKDOWN),
    ("amount", AMOUNT_CENTS),
    ("Importo", AMOUNT),
    ("IMPORTO DOVUTO", AMOUNT),
    ("Importo da pagare", AMOUNT),
    ("notice_number", NOTICE_NUMBER),
    ("N. AVVISO", NOTICE_NUMBER),
    ("Codice avviso", NOTICE_NUMBER),
    ("Numero avviso pagoPA", NOTICE_NUMBER),
    ("due_date", DUE_DATE),
    ("Data scadenza", DUE_DATE),
    ("Data di scadenza", DUE_DATE),
    ("invalid_after_due_date", INVALID_AFTER_DUE_DATE),
    ("invalid_afted_due_date", INVALID_AFTER_DUE_DATE),  # GovIO's own spelling
    ("expedition_date", SEND_AFTER),
    ("Data invio", SEND_AFTER),
    ("payee_taxcode", TEXT_ONLY),  # IO's payee needs a permission: kept as text
    ("name", TEXT_ONLY),
)


@pytest.mark.parametrize(("header", "role"), NAMES, ids=[n[0] for n in NAMES])
def test_io_s_own_field_names_and_the_italian_payment_names_are_recognised(
    header: str, role: str
) -> None:
    assert column_roles([header], {}, payment_columns=True) == [role]


def test_on_a_comunicazione_io_s_payment_names_stay_payment_and_the_italian_ones_are_text() -> None:
    headers = ["amount", "notice_number", "Importo dovuto", "N. avviso"]
    assert column_roles(headers, {}, payment_columns=False) == [
        AMOUNT_CENTS,
        NOTICE_NUMBER,
        TEXT_ONLY,
        TEXT_ONLY,
    ]


def test_the_operator_can_say_a_column_is_in_cents_or_is_a_send_date() -> None:
    assert parse_column_choice("Totale=importo pagoPA in centesimi") == ("Totale", AMOUNT_CENTS)
    assert parse_column_choice("Quando=data di invio") == ("Quando", SEND_AFTER)


# (cell, cents or None, error code or None)
CENTS = (
    ("12050", 12050, None),
    (" 7 ", 7, None),
    (12050.0, 12050, None),  # an Excel number
    ("12,50", None, "importo_centesimi_non_valido"),
    ("1.234", None, "importo_centesimi_non_valido"),
    ("€ 12", None, "importo_centesimi_non_valido"),
    (12.5, None, "importo_centesimi_non_valido"),
    ("0", None, "importo_nullo"),
    ("10000000000", None, "importo_troppo_alto"),
    ("", None, None),
)


@pytest.mark.parametrize(("cell", "cents", "code"), CENTS, ids=[repr(c[0]) for c in CENTS])
def test_an_amount_named_like_io_s_is_whole_euro_cents(
    cell: object, cents: int | None, code: str | None
) -> None:
    checked = amount_column(pd.Series([cell], dtype=object), in_cents=True)
    found = checked.cents.iloc[0]
    assert (None if pd.isna(found) else int(found)) == cents
    error = checked.errors.iloc[0]
    assert (None if pd.isna(error) else error) == code


# (cell, ISO-8601 UTC or None when refused)
DUE_DATES = (
    ("31/12/2030", "2030-12-31T22:59:59.000Z"),
    ("2030-12-31", "2030-12-31T22:59:59.000Z"),
    ("2030-12-31T18:00:00", "2030-12-31T17:00:00.000Z"),  # GovIO's: Italian time
    ("2030-12-31T00:00:00", "2030-12-30T23:00:00.000Z"),  # a time given is kept
    ("2030-12-31T17:00:00.000Z", "2030-12-31T17:00:00.000Z"),  # IO's own
    ("2030-07-01T10:00:00+02:00", "2030-07-01T08:00:00.000Z"),
    ("2030-07-01T10:00-0300", "2030-07-01T13:00:00.000Z"),
    ("2030-12-31T18:00:00+25:00", None),
    ("2030-13-01", None),
)


@pytest.mark.parametrize(("cell", "iso"), DUE_DATES, ids=[d[0] for d in DUE_DATES])
def test_due_dates_are_read_in_iso_8601_too_with_or_without_a_zone(
    cell: str, iso: str | None
) -> None:
    checked = due_date_column(pd.Series([cell]), NOW)
    value = checked.values.iloc[0]
    assert (None if pd.isna(value) else value) == iso
    assert pd.isna(checked.errors.iloc[0]) == (iso is not None)


# (cell, moment in UTC or None when blank or refused, refused)
SEND_DATES = (
    ("03/12/2026", dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC), False),  # 9:00 in Rome
    (dt.datetime(2026, 12, 3), dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC), False),
    ("2026-12-03T10:15:30", dt.datetime(2026, 12, 3, 9, 15, 30, tzinfo=dt.UTC), False),
    ("03/12/2026 07:30", dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC), False),
    ("", None, False),
    ("domani", None, True),
)


@pytest.mark.parametrize(
    ("cell", "moment", "refused"), SEND_DATES, ids=[repr(s[0]) for s in SEND_DATES]
)
def test_a_send_date_alone_means_nine_in_the_morning_italian_time(
    cell: object, moment: dt.datetime | None, refused: bool
) -> None:
    checked = send_date_column(pd.Series([cell], dtype=object))
    stamp = checked.stamps.iloc[0]
    assert (None if pd.isna(stamp) else stamp.to_pydatetime()) == moment
    assert (not pd.isna(checked.errors.iloc[0])) == refused


# (cell, read as yes, refused)
FLAGS = (
    ("true", True, False),
    ("Sì", True, False),
    ("si", True, False),
    (True, True, False),  # Excel's VERO
    ("1", True, False),
    ("false", False, False),
    ("NO", False, False),
    ("", False, False),
    (None, False, False),
    ("forse", False, True),
)


@pytest.mark.parametrize(("cell", "yes", "refused"), FLAGS, ids=[repr(f[0]) for f in FLAGS])
def test_invalid_after_due_date_takes_yes_or_no_as_offices_and_io_write_it(
    cell: object, yes: bool, refused: bool
) -> None:
    checked = flag_column(pd.Series([cell], dtype=object))
    assert bool(checked.values[0]) == yes
    assert (not pd.isna(checked.errors.iloc[0])) == refused


# (description, CSV, header row, headers, first data row)
TITLED = (
    (
        "a title and a blank line",
        "Avvisi TARI 2026\n\ncodice fiscale;nome\nRSSMRA85T10A562S;Mario\n",
        3,
        ["codice fiscale", "nome"],
        4,
    ),
    (
        "a title of empty cells, as Excel saves it",
        "Avvisi TARI 2026;\n;\ntaxcode;nome\nRSSMRA85T10A562S;Mario\n",
        3,
        ["taxcode", "nome"],
        4,
    ),
    (
        "a title with commas, the header with semicolons",
        "Comune di Forlì, avvisi 2026\r\nfiscal_code;nome\r\nRSSMRA85T10A562S;Mario\r\n",
        2,
        ["fiscal_code", "nome"],
        3,
    ),
    (
        "no header before the first codice fiscale: the first row stays the header",
        "Elenco\nRSSMRA85T10A562S\ncodice fiscale\n",
        1,
        ["Elenco"],
        2,
    ),
    (
        "no row names a column: the first row stays the header",
        "Elenco\nnome\nMario\n",
        1,
        ["Elenco"],
        2,
    ),
)


@pytest.mark.parametrize(
    ("description", "content", "header_row", "headers", "first"),
    TITLED,
    ids=[t[0] for t in TITLED],
)
def test_the_header_is_found_below_a_title_and_its_row_is_said(
    description: str, content: str, header_row: int, headers: list[str], first: int
) -> None:
    sheet = read_sheet(content.encode(), "a.csv", None, LIMIT, header_keys=KEYS)
    assert (sheet.header_row, sheet.headers, int(sheet.rows[0])) == (header_row, headers, first)


@pytest.mark.parametrize(("titles", "header_row"), ((MAX_HEADER_ROW - 1, 20), (MAX_HEADER_ROW, 1)))
def test_the_header_is_looked_for_in_the_first_twenty_rows_only(
    titles: int, header_row: int
) -> None:
    title = "".join(f"Riga di titolo {i}\n" for i in range(titles))
    content = (title + "codice fiscale\nRSSMRA85T10A562S\n").encode()
    assert read_sheet(content, "a.csv", None, LIMIT, header_keys=KEYS).header_row == header_row


def test_a_header_below_a_title_is_counted_before_it_is_split() -> None:
    limits = FileLimits(max_columns=5)
    content = b"Elenco\ncodice fiscale" + b";x" * 10 + b"\nRSSMRA85T10A562S" + b";1" * 10 + b"\n"
    with pytest.raises(SpreadsheetError) as refused:
        read_sheet(content, "a.csv", None, LIMIT, limits, KEYS)
    assert refused.value.code == "troppe_colonne"


def test_rows_of_a_file_with_a_title_are_numbered_as_the_spreadsheet_shows_them() -> None:
    content = b"Avvisi\n\ncf;nome\nRSSMRA85T10A562S;Mario\nBNCLRA80A41H501D\n"
    with pytest.raises(SpreadsheetError) as ragged:
        read_sheet(content, "a.csv", None, LIMIT, header_keys=KEYS)
    assert "(riga 5)" in ragged.value.message


def test_an_excel_sheet_with_a_title_is_read_from_its_header(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet["B2"] = "Comune di Forlì - Avvisi TARI"
    sheet.append([])
    sheet.append([None, "Codice fiscale", "Importo dovuto"])
    sheet.append([None, "RSSMRA85T10A562S", 12.5])
    path = tmp_path / "titolo.xlsx"
    workbook.save(path)
    read = read_sheet(path, "titolo.xlsx", None, LIMIT, header_keys=KEYS)
    assert (read.header_row, read.headers, read.rows.tolist()) == (
        4,
        ["Codice fiscale", "Importo dovuto"],
        [5],
    )


def test_a_column_named_by_the_operator_marks_the_header_too() -> None:
    content = b"Elenco\nContribuente;nome\nRSSMRA85T10A562S;Mario\n"
    options = FileOptions(
        subject_template="Avviso per {{nome}}",
        text_template=TEXT,
        columns={"Contribuente": FISCAL_CODE},
        now=NOW,
    )
    report = validate_file(content, "a.csv", options)
    assert (report.header_row, report.rows, report.has_errors) == (2, 1, False)
    assert report.notes == [
        "L'intestazione è alla riga 2: le righe sopra (un titolo, righe vuote) non sono lette."
    ]


def test_a_template_wins_over_the_rows_own_subject_and_the_report_says_so() -> None:
    content = (
        "fiscal_code,subject,markdown\n"
        f"RSSMRA85T10A562S,Oggetto della riga,{TEXT.replace(',', '')}\n"
    ).encode()
    own = validate_file(content, "a.csv", FileOptions(now=NOW))
    assert own.column_lines()[1:] == [
        "subject: l'oggetto di ogni messaggio, riga per riga",
        "markdown: il testo di ogni messaggio (Markdown), riga per riga",
    ]
    with_template = validate_file(
        content, "a.csv", FileOptions(subject_template="Avviso del Comune", now=NOW)
    )
    assert with_template.column_lines()[1] == (
        "subject: non usata per l'oggetto: vale il modello dell'oggetto"
    )
