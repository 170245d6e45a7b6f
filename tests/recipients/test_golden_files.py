"""Golden files: real-looking originals and the report expected for each.

The originals in spreadsheet_files/ were written by make_originals.py (how each was made is
recorded there); the expected reports are in spreadsheet_files/expected/. After a deliberate
change of wording, rewrite them with APPIO_UPDATE_GOLDEN=1 and read the diff.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path

import pytest

from appio_core.recipient_file.validation import FileOptions, validate_file

FILES = Path(__file__).resolve().parent / "spreadsheet_files"
EXPECTED = FILES / "expected"
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
TEXT = (
    "Gentile {{nome}},\n\nle ricordiamo che è disponibile l'avviso di pagamento indicato qui"
    " sotto. Può pagarlo con pagoPA direttamente dall'app IO oppure presso gli sportelli"
    " abilitati."
)
PLAIN = FileOptions(
    subject_template="Comunicazione del Comune",
    text_template=TEXT.replace("{{nome}}", "contribuente"),
    now=NOW,
)

# (case, original, options)
CASES = (
    (
        "tari-excel-windows",
        "tari-excel-windows.csv",
        FileOptions(
            subject_template="TARI: avviso di pagamento per {{Nome}} {{Cognome}}",
            text_template=TEXT,
            max_payment_amount=100_000,
            now=NOW,
        ),
    ),
    ("utf8-bom-comma", "utf8-bom-comma.csv", FileOptions(now=NOW)),
    (
        "excel-unicode-text",
        "excel-unicode-text.txt",
        FileOptions(
            subject_template="Avviso di pagamento per {{nome}}",
            text_template=TEXT + " Importo: {{importo}} euro.",
            now=NOW,
        ),
    ),
    (
        "latin1-semicolon",
        "latin1-semicolon.csv",
        FileOptions(
            subject_template="Comunicazione per {{nome}}",
            text_template=TEXT + " Ufficio di {{località}}.",
            now=NOW,
        ),
    ),
    (
        "xlsx-named-sheet",
        "destinatari-formule-date.xlsx",
        FileOptions(
            subject_template="Avviso di pagamento per {{nome completo}}",
            text_template=TEXT.replace("{{nome}}", "{{Nome_Completo}}"),
            sheet="Destinatari",
            max_payment_amount=30_000,
            now=NOW,
        ),
    ),
    ("xlsx-first-sheet", "destinatari-formule-date.xlsx", PLAIN),
    (
        "xlsx-missing-sheet",
        "destinatari-formule-date.xlsx",
        FileOptions(subject_template="Comunicazione", sheet="Foglio1", now=NOW),
    ),
    ("empty", "vuoto.csv", PLAIN),
    ("png-renamed-xlsx", "immagine-rinominata.xlsx", PLAIN),
    ("old-xls", "vecchio-excel.xls", PLAIN),
    ("no-recipient-column", "senza-codice-fiscale.csv", PLAIN),
    ("duplicate-columns", "colonne-doppie.csv", PLAIN),
    ("ragged-rows", "righe-irregolari.csv", PLAIN),
    ("header-only", "solo-intestazione.csv", PLAIN),
    (
        "too-many-rows",
        "troppe-righe.csv",
        FileOptions(
            subject_template=PLAIN.subject_template,
            text_template=PLAIN.text_template,
            max_rows=3,
            now=NOW,
        ),
    ),
    (
        "too-large",
        "tari-excel-windows.csv",
        FileOptions(subject_template="Comunicazione del Comune", max_bytes=100, now=NOW),
    ),
    (
        "unknown-placeholder",
        "tari-excel-windows.csv",
        FileOptions(
            subject_template="Avviso per {{nome}} {{indirizzo}}",
            text_template=TEXT + " {{nome",
            now=NOW,
        ),
    ),
    ("no-subject-nor-text", "latin1-semicolon.csv", FileOptions(now=NOW)),
    # Files made for other IO tools, imported as they are (issue 16).
    ("pagopa-portal", "pagopa-portale-io.csv", FileOptions(payment_expected=True, now=NOW)),
    (
        "govio",
        "govio.csv",
        FileOptions(
            subject_template="Avviso di pagamento per {{full_name}}",
            text_template=TEXT.replace("{{nome}}", "{{full_name}}"),
            payment_expected=True,
            now=NOW,
        ),
    ),
    (
        "management-program-with-title",
        "gestionale-con-titolo.csv",
        FileOptions(
            subject_template="TARI 2026: avviso per {{nominativo}}",
            text_template=TEXT.replace("{{nome}}", "{{Nominativo}}"),
            payment_expected=True,
            now=NOW,
        ),
    ),
    (
        "xlsx-with-title",
        "gestionale-con-titolo.xlsx",
        FileOptions(
            subject_template="TARI 2026: avviso per {{nominativo}}",
            text_template=TEXT.replace("{{nome}}", "{{Nominativo}}"),
            payment_expected=True,
            now=NOW,
        ),
    ),
    ("title-without-header", "titolo-senza-intestazione.csv", PLAIN),
    (
        "payment-flow-without-payment-columns",
        "latin1-semicolon.csv",
        FileOptions(
            subject_template="Comunicazione per {{nome}}",
            text_template=TEXT + " Ufficio di {{località}}.",
            payment_expected=True,
            now=NOW,
        ),
    ),
)


@pytest.mark.parametrize(("case", "original", "options"), CASES, ids=[c[0] for c in CASES])
def test_each_original_gets_its_expected_report(
    case: str, original: str, options: FileOptions
) -> None:
    report = validate_file(FILES / original, original, options).to_dict()
    expected_path = EXPECTED / f"{case}.json"
    if os.environ.get("APPIO_UPDATE_GOLDEN") == "1":
        EXPECTED.mkdir(exist_ok=True)
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
        expected_path.write_text(text, encoding="utf-8")
    assert report == json.loads(expected_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("case", "original", "options"), CASES, ids=[c[0] for c in CASES])
def test_the_streamed_json_is_the_report_s_dictionary(
    case: str, original: str, options: FileOptions
) -> None:
    report = validate_file(FILES / original, original, options)
    out = io.StringIO()
    report.write_json(out)
    assert json.loads(out.getvalue()) == report.to_dict()


def test_every_original_is_used_by_a_golden_case() -> None:
    originals = {p.name for p in FILES.iterdir() if p.is_file() and p.suffix != ".py"}
    assert originals == {original for _, original, _ in CASES}


def test_bytes_and_file_objects_give_the_same_report_as_a_path() -> None:
    _, original, options = CASES[0]
    path = FILES / original
    from_path = validate_file(path, original, options).to_dict()
    assert validate_file(path.read_bytes(), original, options).to_dict() == from_path
    with path.open("rb") as handle:
        assert validate_file(handle, original, options).to_dict() == from_path
