"""Subject and text templates: lengths checked with or without placeholders, at IO's
limits and as IO counts them (UTF-16 units), a template's own problem said once, and the
values put into the text escaped for Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from appio_core.cli import cli
from appio_core.content.markdown import escape_text, looks_formatted
from appio_core.recipient_file.validation import FileOptions, open_recipient_file, validate_file

from .test_recipient_file import LAURA, MARIO, NOW, TEXT

CSV = f"cf;nome\n{MARIO};Mario\n{LAURA};Laura\n".encode()
SUBJECT_OK = "Avviso per {{nome}}"
EMOJI = "📅"  # one character, two UTF-16 units: IO counts it twice

# (constant subject, the error code or None): at 9, 10, 120 and 121 units, with and without
# an emoji making up two of them.
SUBJECTS = (
    ("x" * 9, "oggetto_corto"),
    ("x" * 10, None),
    ("x" * 120, None),
    ("x" * 121, "oggetto_lungo"),
    (EMOJI + "x" * 7, "oggetto_corto"),
    (EMOJI + "x" * 8, None),
    (EMOJI + "x" * 118, None),
    (EMOJI + "x" * 119, "oggetto_lungo"),
)
# (constant text, the error code or None): at 119, 120, 10,000 and 10,001 units.
TEXTS = (
    ("y" * 119, "testo_corto"),
    ("y" * 120, None),
    ("y" * 10_000, None),
    ("y" * 10_001, "testo_lungo"),
    (EMOJI + "y" * 117, "testo_corto"),
    (EMOJI + "y" * 118, None),
    (EMOJI + "y" * 9_998, None),
    (EMOJI + "y" * 9_999, "testo_lungo"),
)


def _report(subject: str, text: str) -> dict[str, object]:
    options = FileOptions(subject_template=subject, text_template=text, now=NOW)
    return validate_file(CSV, "a.csv", options).to_dict()


def _ids(cases: tuple[tuple[str, str | None], ...]) -> list[str]:
    return [
        f"{len(v.encode('utf-16-le')) // 2}-units{'-emoji' if EMOJI in v else ''}" for v, _ in cases
    ]


@pytest.mark.parametrize(("subject", "code"), SUBJECTS, ids=_ids(SUBJECTS))
def test_a_constant_subject_is_checked_like_any_other(subject: str, code: str | None) -> None:
    report = _report(subject, TEXT)
    assert [e["code"] for e in report["template_errors"]] == ([code] if code else [])  # type: ignore[index]
    assert report["errors"] == []
    assert report["valid_rows"] == (0 if code else 2)


@pytest.mark.parametrize(("text", "code"), TEXTS, ids=_ids(TEXTS))
def test_a_constant_text_is_checked_like_any_other(text: str, code: str | None) -> None:
    report = _report(SUBJECT_OK, text)
    assert [e["code"] for e in report["template_errors"]] == ([code] if code else [])  # type: ignore[index]
    assert report["errors"] == []


def test_a_too_short_constant_subject_is_said_once_with_what_to_do() -> None:
    report = _report("Avviso", TEXT)
    assert report["template_errors"] == [
        {
            "code": "oggetto_corto",
            "message": "L'oggetto è troppo corto: ha 6 caratteri, ne servono almeno 10. Il"
            " modello dell'oggetto non ha segnaposto, quindi vale per tutti i messaggi:"
            " correggi il modello dell'oggetto.",
        }
    ]
    assert report["summary"] == (
        f"{report['template_errors'][0]['message']}"  # type: ignore[index]
        " Le righe del file (2) non hanno altri errori."
    )


def test_a_template_whose_fixed_part_is_too_long_is_said_once_not_on_every_row() -> None:
    report = _report(SUBJECT_OK, "{{nome}} " + "y" * 10_001)
    assert [e["code"] for e in report["template_errors"]] == ["testo_lungo"]  # type: ignore[index]
    assert "Lo è già la parte fissa del modello del testo" in str(report["template_errors"])
    assert report["errors"] == []


def test_rows_made_too_long_by_their_values_are_still_listed_by_row() -> None:
    template = "{{nome}} " + "y" * 9_995  # 9,995 + 1 + the name: Mario 10,001, Laura 10,001
    options = FileOptions(subject_template=SUBJECT_OK, text_template=template, now=NOW)
    report = validate_file(f"cf;nome\n{MARIO};Mario\n{LAURA};Lia\n".encode(), "a.csv", options)
    assert report.template_errors == []
    assert [(e.row, e.code) for e in report.errors] == [(2, "testo_lungo")]


def test_appio_flow_validate_prints_a_template_s_problem_once_and_exits_1(
    tmp_path: Path,
) -> None:
    path = tmp_path / "destinatari.csv"
    path.write_bytes(CSV + b"RSSMRA85T10A562X;Errato\n")
    text = tmp_path / "testo.md"
    text.write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "flow",
            "validate",
            str(path),
            "--subject-template",
            "Avviso",
            "--text-template-file",
            str(text),
        ],
    )
    assert result.exit_code == 1
    assert result.output.count("L'oggetto è troppo corto: ha 6 caratteri") == 1
    assert result.output.startswith("L'oggetto è troppo corto")
    assert "riga 4, cf «RSSMRA85T10A562X»" in result.output


# ---- Markdown in the values ---------------------------------------------------------------------

# (cell, as put into the text)
ESCAPES = (
    (
        "![x](http://host/track.png?cf=RSSMRA85T10A562S)",
        "\\!\\[x\\](http://host/track.png?cf=RSSMRA85T10A562S)",
    ),
    ("[clicca qui](http://phish.example)", "\\[clicca qui\\](http://phish.example)"),
    ("# Titolo", "\\# Titolo"),
    ("riga\n## Sotto", "riga\n\\#\\# Sotto"),
    ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"),
    ("**grassetto** e _corsivo_", "\\*\\*grassetto\\*\\* e \\_corsivo\\_"),
    ("1. primo", "1\\. primo"),
    ("- voce", "\\- voce"),
    ("testo\n===", "testo\n\\==="),
    ("Rossi-Bianchi, 12.5", "Rossi-Bianchi, 12.5"),
    ("Mario", "Mario"),
)


@pytest.mark.parametrize(("cell", "escaped"), ESCAPES)
def test_a_value_cannot_add_a_link_an_image_or_a_heading(cell: str, escaped: str) -> None:
    assert escape_text(cell) == escaped


def test_values_that_look_like_links_images_html_or_headings_are_flagged() -> None:
    import pyarrow as pa

    values = ["![x](y)", "www.comune.it", "http://x", "<b>", "# T", "Mario", "Via Roma 1"]
    flagged = looks_formatted(pa.array(values, type=pa.large_string())).tolist()
    assert flagged == [True, True, True, True, True, False, False]


def test_the_text_carries_escaped_values_and_the_operator_is_warned() -> None:
    cell = "![x](http://host/track.png?cf=1)"
    content = f"cf;nome\n{MARIO};{cell}\n{LAURA};Laura\n".encode()
    options = FileOptions(subject_template=SUBJECT_OK, text_template=TEXT, now=NOW)
    with open_recipient_file(content, "a.csv", options, deliver=True) as opened:
        report = opened.report
        [chunk] = list(opened.recipients())
    first = chunk.to_pylist()[0]
    assert first["markdown"].startswith("Gentile \\!\\[x\\](http://host/track.png?cf=1), ")
    assert first["subject"] == f"Avviso per {cell}"  # the subject is plain text for IO
    [warning] = report.warnings
    assert (warning.row, warning.column, warning.code) == (2, "nome", "valore_formattato")
    assert warning.message.startswith("Il valore contiene un indirizzo web, un collegamento")
    assert report.summary().endswith("Avvisi: 1 valore con collegamenti o formattazione.")


def test_lengths_count_the_escapes_as_io_will_see_them() -> None:
    # 120 units as written: "*" * 10 escaped is 20, so the text is 130 long for IO.
    template = "{{nome}}" + "y" * 110
    options = FileOptions(subject_template=SUBJECT_OK, text_template=template, now=NOW)
    content = f"cf;nome\n{MARIO};{'*' * 10}\n{LAURA};{'z' * 9}\n".encode()
    report = validate_file(content, "a.csv", options)
    # Laura: 9 + 110 = 119, too short; the starred row: 20 + 110 = 130, long enough.
    assert [(e.row, e.code) for e in report.errors] == [(3, "testo_corto")]
