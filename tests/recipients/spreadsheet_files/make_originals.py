"""Writes the original files of the golden tests, as operators' programs save them.

Run once: `.venv/bin/python tests/recipients/spreadsheet_files/make_originals.py`. The files are
committed; this script records how each was made (encodings, separators, Excel's cached formula
values), so that a reviewer can see they are what their names say.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
import zlib
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

TARI_ROWS = (
    # codice fiscale, nome, cognome, importo, numero avviso, scadenza
    ("RSSMRA85T10A562S", "Mario", "Rossi", "€ 120,50", "301000000000000001", "31/12/2030"),
    ("BNCLRA80A41H501D", "Laura", "Bianchi", "1.234,56", "301000000000000002", "31/12/2030"),
    ("VRDNCC90M10F205O", "Niccolò", "Verdi", "12,345", "301000000000000003", "31/12/2030"),
    ("RSSMRA85T10A562S", "Mario", "Rossi", "80,00", "301000000000000004", "01/01/2020"),
    ("DLCFNC75E50Z110P", "Françoise", "Delacroix", "45", "301000000000000005", "30/06/2030 18:00"),
    ("", "Anna", "Neri", "10,00", "301000000000000006", "31/12/2030"),
)


def tari_excel_windows() -> None:
    """Excel on Italian Windows: Windows-1252 (the € is byte 0x80), ";" and CRLF."""
    lines = ["Codice Fiscale;Nome;Cognome;Importo;Numero Avviso;Scadenza"]
    lines += [";".join(row) for row in TARI_ROWS]
    (HERE / "tari-excel-windows.csv").write_bytes("\r\n".join(lines).encode("cp1252") + b"\r\n")


def utf8_bom_comma() -> None:
    """A web export: UTF-8 with BOM, "," and quoted cells holding commas and line breaks."""
    long_text = (
        "Gentile contribuente,\n\nla informiamo che è disponibile il nuovo calendario della"
        " raccolta differenziata, valido dal 1° gennaio. Lo trova sul sito del Comune, sezione"
        " Ambiente, e presso l'URP."
    )
    rows = [
        ("cf", "oggetto", "testo"),
        ("rss mra 85t10a562s", "Calendario raccolta differenziata", long_text),
        ("BNCLRA80A41H501D", "Calendario", long_text),
        ("VRDLGU00B29F205X", "Calendario raccolta differenziata", "Troppo breve, vero?"),
        ("", "Calendario raccolta differenziata", long_text),
        ("RSSMRA85T10Z999S", "x" * 130, long_text),
    ]

    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if re.search(r'[,"\n]', text) else text

    body = "\r\n".join(",".join(cell(c) for c in row) for row in rows) + "\r\n"
    (HERE / "utf8-bom-comma.csv").write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))


def excel_unicode_text() -> None:
    """Excel's "Testo Unicode": UTF-16 little-endian with BOM, tab-separated."""
    rows = [
        ("CODICE_FISCALE", "Nome", "Importo", "Codice-Avviso"),
        ("RSSMRA85T10A562S", "Mario", "12,50", "301000000000000001"),
        ("RSSMRA85T10A56NH", "Mario (omocodia)", "7", "301000000000000002"),
        ("AAAAAA00A00A000A", "Cittadino di prova", "0,50", "301000000000000003"),
        ("RSSMRA85B30A562S", "Data impossibile", "12,50", "401000000000000004"),
        ("BNCLRA80A41H501D", "Senza avviso", "12,50", ""),
    ]
    body = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    (HERE / "excel-unicode-text.txt").write_bytes(b"\xff\xfe" + body.encode("utf-16-le"))


def latin1_semicolon() -> None:
    """An old management program: ISO-8859-1, ";" and LF, a blank last line."""
    rows = [
        "Codice fiscale;Nome;Località",
        "RSSMRA85T10A562S;Mario;Forlì",
        "BNCLRA80A41H501D;Laura;Cantù",
        "VRDLGU00B29F205X;;Sant'Agata sul Santerno",
        "",
    ]
    (HERE / "latin1-semicolon.csv").write_bytes("\n".join(rows).encode("latin-1"))


def xlsx_with_formulas_and_dates() -> None:
    """Two sheets; "Destinatari" has formulas (with the values Excel saves beside them) and
    date cells; the first sheet is instructions, as offices like to add."""
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Istruzioni"
    notes["A1"] = "Compilare il foglio Destinatari."
    sheet = workbook.create_sheet("Destinatari")
    sheet.append(["Codice fiscale", "Nome", "Cognome", "Nome completo", "Importo", "Numero avviso"])
    sheet["G1"] = "Scadenza"
    people = (
        ("RSSMRA85T10A562S", "Mario", "Rossi", 100, "301000000000000001"),
        ("BNCLRA80A41H501D", "Laura", "Bianchi", 250.5, "301000000000000002"),
        ("VRDLGU00B29F205X", "Luigi", "Verdi", 99.999, 301000000000000003),
        ("RSSMRA85T10A56NH", "Mario", "Rossi", 0, "301000000000000004"),
    )
    dues = (
        dt.datetime(2030, 12, 31, 18, 0),
        dt.date(2030, 6, 30),
        dt.datetime(2030, 6, 30),
        "31/13/2030",
    )
    cached: dict[str, str | float] = {}
    for i, ((code, name, surname, amount, notice), due) in enumerate(
        zip(people, dues, strict=True), start=2
    ):
        sheet[f"A{i}"] = code
        sheet[f"B{i}"] = name
        sheet[f"C{i}"] = surname
        sheet[f"D{i}"] = f'=B{i}&" "&C{i}'
        cached[f"D{i}"] = f"{name} {surname}"
        sheet[f"E{i}"] = f"={amount}*1.22"
        cached[f"E{i}"] = round(amount * 1.22, 6)
        sheet[f"F{i}"] = notice
        sheet[f"G{i}"] = due
    path = HERE / "destinatari-formule-date.xlsx"
    workbook.save(path)
    _store_cached_values(path, "xl/worksheets/sheet2.xml", cached)


def _store_cached_values(path: Path, member: str, cached: dict[str, str | float]) -> None:
    """openpyxl writes formulas without results; Excel saves the result beside each formula."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = parts[member].decode("utf-8")
    for ref, value in cached.items():
        kind = ' t="str"' if isinstance(value, str) else ""
        pattern = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/>')
        found = pattern.search(xml)
        assert found is not None, ref
        cell = f'<c r="{ref}"{found.group(1)}{kind}><f>{found.group(2)}</f><v>{value}</v>'
        xml = xml[: found.start()] + cell + xml[found.end() :]
    parts[member] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def broken_files() -> None:
    (HERE / "vuoto.csv").write_bytes(b"")
    (HERE / "immagine-rinominata.xlsx").write_bytes(_png())
    (HERE / "vecchio-excel.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    (HERE / "senza-codice-fiscale.csv").write_bytes(b"Nome;Cognome;Importo\nMario;Rossi;12,50\n")
    (HERE / "colonne-doppie.csv").write_bytes(
        b"CF;Codice fiscale;Nome;nome\nRSSMRA85T10A562S;RSSMRA85T10A562S;Mario;Mario\n"
    )
    (HERE / "righe-irregolari.csv").write_bytes(
        b"codice fiscale,nome\nRSSMRA85T10A562S,Mario\nBNCLRA80A41H501D,Laura,Bianchi\n"
    )
    (HERE / "solo-intestazione.csv").write_bytes(b"codice fiscale;nome\r\n")
    (HERE / "troppe-righe.csv").write_bytes(
        b"codice fiscale;nome\n"
        + b"".join(
            f"{c};Persona\n".encode()
            for c in ("RSSMRA85T10A562S", "BNCLRA80A41H501D", "VRDLGU00B29F205X", "x")
        )
    )


PORTAL_TEXT = (
    "Gentile contribuente,\n\nè disponibile l'avviso di pagamento della TARI 2026, prima rata."
    " Può pagarlo con pagoPA direttamente dall'app IO oppure presso gli sportelli abilitati."
)


def pagopa_portal() -> None:
    """The CSV of PagoPA's own import (the old IO developer portal): IO's field names, each
    row with its own subject and text, the amount in cents; UTF-8, "," and LF."""
    rows = [
        ("name", "surname", "fiscal_code", "subject", "markdown", "amount", "notice_number",
         "due_date"),
        ("Mario", "Rossi", "RSSMRA85T10A562S", "TARI 2026: avviso di pagamento", PORTAL_TEXT,
         "12050", "301000000000000001", "31/12/2030"),
        ("Laura", "Bianchi", "BNCLRA80A41H501D", "TARI 2026: avviso di pagamento", PORTAL_TEXT,
         "120,50", "301000000000000002", "2030-12-31T22:59:59.000Z"),
        ("Luigi", "Verdi", "VRDLGU00B29F205X", "TARI", "Gentile {{name}}, " + PORTAL_TEXT,
         "9900", "301000000000000003", ""),
        ("Anna", "Neri", "NRENNA80A41H501T", "Calendario della raccolta differenziata",
         PORTAL_TEXT.replace("l'avviso di pagamento della TARI 2026, prima rata", "il nuovo"
                             " calendario della raccolta differenziata"), "", "", ""),
    ]  # fmt: skip

    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if re.search(r'[,"\n]', text) else text

    body = "\n".join(",".join(cell(c) for c in row) for row in rows) + "\n"
    (HERE / "pagopa-portale-io.csv").write_bytes(body.encode("utf-8"))


def govio() -> None:
    """GovIO's CSV: its base fields (taxcode, expedition_date, due dates as ISO 8601 without
    a zone, notice number, amount in cents, and its own spelling `invalid_afted_due_date`),
    then the template's placeholders; UTF-8, "," and CRLF."""
    rows = [
        "taxcode,expedition_date,due_date,notice_number,amount,invalid_afted_due_date,full_name",
        "RSSMRA85T10A562S,2026-12-03T10:15:30,2030-12-31T00:00:00,301000000000000001,12050,true,"
        "Mario Rossi",
        "BNCLRA80A41H501D,2026-11-01T09:00:00,2030-12-31T00:00:00,301000000000000002,9900,false,"
        "Laura Bianchi",
        "VRDLGU00B29F205X,2031-01-15,2030-12-31T00:00:00,301000000000000003,5000,,Luigi Verdi",
        "DLCFNC75E50Z110K,domani,2030-12-31T00:00:00,301000000000000004,5000,forse,"
        "Françoise Delacroix",
    ]
    (HERE / "govio.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8"))


def management_program_with_title() -> None:
    """A management program's export: a title and a row of empty cells above the header,
    Italian payment headers in capitals; Windows-1252, ";" and CRLF."""
    lines = [
        "COMUNE DI FORLÌ - AVVISI TARI 2026;;;;",
        ";;;;",
        "CODICE FISCALE;NOMINATIVO;IMPORTO DOVUTO;N. AVVISO;DATA SCADENZA",
        "RSSMRA85T10A562S;Mario Rossi;€ 120,50;301000000000000001;31/12/2030",
        "BNCLRA80A41H501D;Laura Bianchi;12,345;301000000000000002;31/12/2030",
        "VRDLGU00B29F205X;Luigi Verdi;80,00;30100000000000000;31/12/2030",
    ]
    (HERE / "gestionale-con-titolo.csv").write_bytes("\r\n".join(lines).encode("cp1252") + b"\r\n")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Avvisi"
    sheet["A1"] = "Comune di Forlì - Avvisi TARI 2026"
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(["Codice fiscale", "Nominativo", "Importo dovuto", "Codice avviso", "Scadenza"])
    sheet.append(["RSSMRA85T10A562S", "Mario Rossi", 120.5, "301000000000000001",
                  dt.date(2030, 12, 31)])  # fmt: skip
    sheet.append(["BNCLRA80A41H501D", "Laura Bianchi", 0, "301000000000000002",
                  dt.date(2030, 12, 31)])  # fmt: skip
    workbook.save(HERE / "gestionale-con-titolo.xlsx")


def title_without_header() -> None:
    """A title, then the data at once: no row names the columns, the title stays the header."""
    (HERE / "titolo-senza-intestazione.csv").write_bytes(
        b"Elenco destinatari\nRSSMRA85T10A562S;Mario\nBNCLRA80A41H501D;Laura\n"
    )


def _png() -> bytes:
    """A real 1x1 PNG, as when an operator renames a screenshot."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    tari_excel_windows()
    utf8_bom_comma()
    excel_unicode_text()
    latin1_semicolon()
    xlsx_with_formulas_and_dates()
    broken_files()
    pagopa_portal()
    govio()
    management_program_with_title()
    title_without_header()
