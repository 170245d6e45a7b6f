"""Recipient files through appio_core: columns, templates, row checks and recipient chunks."""

from __future__ import annotations

import datetime as dt
import io
import json

import pyarrow as pa
import pytest
from openpyxl import Workbook

from appio_core.content.lengths import ContentRules
from appio_core.content.template import Template, header_key
from appio_core.errors import InvalidInput
from appio_core.recipient_file.columns import (
    ALIASES,
    AMOUNT,
    DUE_DATE,
    FISCAL_CODE,
    MARKDOWN,
    NOTICE_NUMBER,
    SUBJECT,
)
from appio_core.recipient_file.validation import FileOptions, open_recipient_file, validate_file

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
TEXT = "Gentile {{nome}}, " + "le scriviamo per ricordarle una scadenza importante. " * 3
OPTIONS = FileOptions(subject_template="Avviso per {{nome}}", text_template=TEXT, now=NOW)
MARIO = "RSSMRA85T10A562S"
LAURA = "BNCLRA80A41H501D"
LUIGI = "VRDLGU00B29F205X"

# (header as written, field)
HEADERS = (
    ("codice fiscale", FISCAL_CODE),
    ("Codice Fiscale", FISCAL_CODE),
    ("CODICE_FISCALE", FISCAL_CODE),
    ("codice-fiscale", FISCAL_CODE),
    ("CF", FISCAL_CODE),
    ("C.F.", FISCAL_CODE),
    ("Oggetto", SUBJECT),
    ("titolo", SUBJECT),
    ("Testo", MARKDOWN),
    ("messaggio", MARKDOWN),
    ("Contenuto", MARKDOWN),
    ("Importo", AMOUNT),
    ("Numero avviso", NOTICE_NUMBER),
    ("codice_avviso", NOTICE_NUMBER),
    ("Scadenza", DUE_DATE),
    ("Data scadenza", DUE_DATE),
    ("DATA-SCADENZA", DUE_DATE),
)


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _recipients(content: bytes, options: FileOptions, chunk_rows: int = 50_000) -> list[pa.Table]:
    with open_recipient_file(content, "a.csv", options, deliver=True, chunk_rows=chunk_rows) as f:
        return list(f.recipients())


def _codes(report_items: list) -> list[tuple[int, str]]:  # type: ignore[type-arg]
    return [(item.row, item.code) for item in report_items]


@pytest.mark.parametrize(("header", "field"), HEADERS)
def test_headers_match_ignoring_case_accents_spaces_underscores_and_hyphens(
    header: str, field: str
) -> None:
    assert ALIASES[header_key(header)] == field


def test_header_key_drops_accents() -> None:
    assert header_key("Località") == header_key("localita") == "localita"


def test_a_clean_file_has_no_errors_and_every_row_valid() -> None:
    report = validate_file(_csv("cf;nome", f"{MARIO};Mario", f"{LAURA};Laura"), "a.csv", OPTIONS)
    assert (report.rows, report.valid_rows, report.error_rows) == (2, 2, 0)
    assert report.usable and not report.has_errors
    assert report.summary() == "2 righe, tutte corrette."


def test_the_length_rules_apply_to_each_rendered_text() -> None:
    options = FileOptions(
        subject_template="Avviso per {{nome}}",
        text_template="{{nome}}" + "x" * 110,
        now=NOW,
    )
    report = validate_file(_csv("cf;nome", f"{MARIO};Bo", f"{LAURA};Margherita"), "a.csv", options)
    assert [(e.row, e.column, e.code, e.message) for e in report.errors] == [
        (
            2,
            "testo (dal modello)",
            "testo_corto",
            "Il testo è troppo corto: ha 112 caratteri, ne servono almeno 120: aggiungi dettagli.",
        )
    ]
    assert report.errors[0].value == "Bo" + "x" * 110


def test_an_empty_placeholder_value_is_a_row_error_on_its_column() -> None:
    report = validate_file(_csv("cf;nome", f"{MARIO};", f"{LAURA};Laura"), "a.csv", OPTIONS)
    assert [(e.row, e.column, e.code, e.message) for e in report.errors] == [
        (
            2,
            "nome",
            "segnaposto_vuoto",
            "Manca il valore di «nome», usato nell'oggetto e nel testo del messaggio: compilalo.",
        )
    ]


def test_a_placeholder_without_a_column_stops_the_row_checks() -> None:
    options = FileOptions(subject_template="Avviso per {{cognome}}", text_template=TEXT)
    report = validate_file(_csv("cf;nome", "x;Mario"), "a.csv", options)
    assert not report.usable
    assert [(e.code, e.message) for e in report.file_errors] == [
        (
            "segnaposto_sconosciuto",
            "Il modello dell'oggetto usa {{cognome}}, ma il file non ha una colonna «cognome»:"
            " aggiungila o correggi il modello.",
        )
    ]
    assert report.errors == []


def test_rows_may_carry_their_own_subject_and_text() -> None:
    text = "t" * 120
    report = validate_file(
        _csv("cf;oggetto;testo", f"{MARIO};Oggetto del messaggio;{text}", f"{LAURA};Breve;{text}"),
        "a.csv",
        FileOptions(now=NOW),
    )
    assert [(e.row, e.column, e.code) for e in report.errors] == [(3, "oggetto", "oggetto_corto")]


def test_a_template_takes_the_place_of_a_subject_column() -> None:
    text = "t" * 120
    report = validate_file(
        _csv("cf;oggetto;testo", f"{MARIO};Breve;{text}"),
        "a.csv",
        FileOptions(subject_template="Un oggetto dal modello", now=NOW),
    )
    assert report.errors == []


def test_duplicate_fiscal_codes_are_one_warning_naming_every_row() -> None:
    report = validate_file(
        _csv("cf;nome", f"{MARIO};A", f"{LAURA};B", f"{MARIO.lower()};C", f"{MARIO};D"),
        "a.csv",
        OPTIONS,
    )
    assert not report.has_errors
    [warning] = report.warnings
    assert (warning.row, warning.code, warning.rows) == (2, "cf_ripetuto", (2, 4, 5))
    assert warning.message == (
        "Il codice fiscale compare 3 volte, nelle righe 2, 4 e 5: il cittadino riceverebbe più"
        " messaggi. Lascia una riga sola, se non è voluto."
    )
    assert report.to_dict()["warnings"][0]["rows"] == [2, 4, 5]
    assert report.summary() == "4 righe, tutte corrette. Avvisi: 1 codice fiscale ripetuto."


def test_payment_data_needs_both_amount_and_notice_number() -> None:
    report = validate_file(
        _csv(
            "cf;nome;importo;numero avviso",
            f"{MARIO};A;12,50;",
            f"{LAURA};B;;301000000000000001",
            f"{LUIGI};C;;",
        ),
        "a.csv",
        OPTIONS,
    )
    assert [(e.row, e.column, e.code, e.message) for e in report.errors] == [
        (
            2,
            "numero avviso",
            "pagamento_incompleto",
            "C'è l'importo ma manca il numero avviso: per un avviso di pagamento servono entrambi.",
        ),
        (
            3,
            "importo",
            "pagamento_incompleto",
            "C'è il numero avviso ma manca l'importo: per un avviso di pagamento servono entrambi.",
        ),
    ]


def test_the_summary_counts_problems_by_kind() -> None:
    report = validate_file(
        _csv("cf;nome", "x;A", "RSSMRA85T10A562X;B", f"{LAURA};", "y;D", f"{LUIGI};E"),
        "a.csv",
        OPTIONS,
    )
    assert report.summary() == (
        "5 righe: 1 corretta, 4 con errori (3 codici fiscali da correggere,"
        " 1 valore mancante per il modello)."
    )
    assert report.to_dict()["error_rows"] == 4


def test_row_numbers_are_those_of_the_spreadsheet_even_with_line_breaks_in_cells() -> None:
    text = "t" * 120
    content = (
        f'cf,oggetto,testo\n{MARIO},Oggetto valido,"riga uno\nriga due {text}"\n'
        f"x,Oggetto valido,{text}\n"
    ).encode()
    report = validate_file(content, "a.csv", FileOptions(now=NOW))
    assert _codes(report.errors) == [(3, "cf_lunghezza")]


def test_blank_rows_are_not_recipients_and_do_not_shift_xlsx_row_numbers() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Codice fiscale", "Nome"])
    sheet.append([MARIO, "Mario"])
    sheet.append([None, None])
    sheet.append(["x", "Laura"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = validate_file(buffer.getvalue(), "a.xlsx", OPTIONS)
    assert report.rows == 2
    assert _codes(report.errors) == [(4, "cf_lunghezza")]


def test_the_row_limit_and_the_size_limit_are_file_errors() -> None:
    content = _csv("cf;nome", f"{MARIO};A", f"{LAURA};B")
    limited = FileOptions(subject_template="Oggetto del messaggio", text_template=TEXT, max_rows=1)
    assert [e.code for e in validate_file(content, "a.csv", limited).file_errors] == [
        "troppe_righe"
    ]
    small = FileOptions(subject_template="Oggetto del messaggio", max_bytes=10)
    assert [e.code for e in validate_file(content, "a.csv", small).file_errors] == [
        "file_troppo_grande"
    ]


def test_recipient_chunks_carry_rendered_texts_payment_and_the_other_columns() -> None:
    content = _csv(
        "Codice Fiscale;Nome;Importo;Numero avviso;Scadenza;Zona",
        f"{MARIO.lower()};Mario;1.234,56;301000000000000001;31/12/2030 18:00;Nord",
        f"{LAURA};Laura;;;;Sud",
        f"{LUIGI};Luigi;;;;Est",
    )
    chunks = _recipients(content, OPTIONS, chunk_rows=2)
    assert [c.num_rows for c in chunks] == [2, 1]
    first = chunks[0].to_pylist()
    assert chunks[0].column_names == [
        "row_number",
        "fiscal_code",
        "subject",
        "markdown",
        "amount",
        "notice_number",
        "due_date",
        "extra",
        "invalid_after_due_date",
        "send_after",
    ]
    assert first[0] == {
        "row_number": 2,
        "fiscal_code": MARIO,
        "subject": "Avviso per Mario",
        "markdown": TEXT.replace("{{nome}}", "Mario").strip(),
        "amount": 123456,
        "notice_number": "301000000000000001",
        "due_date": "2030-12-31T17:00:00.000Z",
        "extra": first[0]["extra"],
        "invalid_after_due_date": False,
        "send_after": None,
    }
    assert json.loads(first[0]["extra"]) == {
        "Nome": "Mario",
        "Importo": "1.234,56",
        "Numero avviso": "301000000000000001",
        "Scadenza": "31/12/2030 18:00",
        "Zona": "Nord",
    }
    assert (first[1]["amount"], first[1]["notice_number"], first[1]["due_date"]) == (
        None,
        None,
        None,
    )


def test_extra_json_keeps_any_character_of_the_original_cells() -> None:
    odd = 'a "quoted"\\ line\u2028with U+2028 and / slash'
    content = f'cf;nome;note\n{MARIO};Mario;"{odd.replace(chr(34), chr(34) * 2)}"\n'.encode()
    [chunk] = _recipients(content, OPTIONS)
    assert json.loads(chunk.column("extra")[0].as_py()) == {"nome": "Mario", "note": odd}


def test_a_file_with_errors_hands_out_no_recipient_but_its_report() -> None:
    content = _csv("cf;nome", f"{MARIO};Mario", "x;Errore")
    with open_recipient_file(content, "a.csv", OPTIONS, deliver=True) as opened:
        assert opened.report.error_rows == 1
        with pytest.raises(InvalidInput) as raised:
            list(opened.recipients())
    assert raised.value.message == "Il file contiene errori: correggili prima di importarlo."


def test_a_template_knows_its_placeholders_and_fixed_length() -> None:
    template = Template.parse("Gentile {{ Nome }}, il {{data_scadenza}} scade.")
    assert template.names == ("Nome", "data_scadenza")
    assert template.keys == ("nome", "datascadenza")
    assert template.fixed_length() == len("Gentile , il  scade.")
    assert not template.stray_braces()
    assert Template.parse("Gentile {{nome}").stray_braces()


def test_an_emoji_in_a_template_counts_twice_towards_io_s_limits() -> None:
    # "📅 Mario: scadenza": 17 characters, 18 for IO (the emoji is two UTF-16 units).
    def subject_errors(minimum: int) -> list[str]:
        options = FileOptions(
            subject_template="📅 {{nome}}: scadenza",
            text_template=TEXT,
            now=NOW,
            rules=ContentRules(subject_min=minimum),
        )
        report = validate_file(_csv("cf;nome", f"{MARIO};Mario"), "a.csv", options)
        return [e.message for e in report.errors]

    assert subject_errors(18) == []
    assert subject_errors(19) == [
        "L'oggetto è troppo corto: ha 18 caratteri, ne servono almeno 19."
    ]
