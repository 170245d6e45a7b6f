"""`appio flow validate`: the report as text or JSON, and exit statuses 0, 1 and 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from appio_core.cli import cli

TEXT = "Gentile {{nome}}, " + "le scriviamo per ricordarle una scadenza importante. " * 3
CLEAN = "cf;nome\nRSSMRA85T10A562S;Mario\nBNCLRA80A41H501D;Laura\n"
ROW_ERRORS = "cf;nome\nRSSMRA85T10A562X;Mario\nBNCLRA80A41H501D;Laura\n"
JSON_KEYS = {"rows", "valid_rows", "error_rows", "file_errors", "errors", "warnings"}

# (content, exit status)
EXITS = ((CLEAN, 0), (ROW_ERRORS, 1), ("", 2), ("nome\nMario\n", 2))


def _validate(tmp_path: Path, content: str, *extra: str) -> tuple[int, str]:
    path = tmp_path / "destinatari.csv"
    path.write_text(content, encoding="utf-8")
    template = tmp_path / "testo.md"
    template.write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "flow",
            "validate",
            str(path),
            "--subject-template",
            "Avviso per {{nome}}",
            "--text-template-file",
            str(template),
            *extra,
        ],
    )
    return result.exit_code, result.output


@pytest.mark.parametrize(("content", "status"), EXITS)
def test_the_exit_status_says_clean_row_errors_or_unusable_file(
    tmp_path: Path, content: str, status: int
) -> None:
    assert _validate(tmp_path, content)[0] == status


def test_the_text_report_shows_the_summary_and_each_row_to_fix(tmp_path: Path) -> None:
    status, output = _validate(tmp_path, ROW_ERRORS)
    assert status == 1
    assert output.splitlines() == [
        "2 righe: 1 corretta, 1 con errori (1 codice fiscale da correggere).",
        "",
        "Colonne (intestazione alla riga 1):",
        "- cf: codice fiscale del destinatario",
        "- nome: solo testo, nei modelli come {{nome}}",
        "",
        "Errori:",
        "riga 2, cf «RSSMRA85T10A562X»: L'ultimo carattere del codice fiscale (carattere di"
        " controllo) non corrisponde agli altri: probabilmente c'è un errore di battitura.",
    ]


def test_the_json_report_has_the_agreed_shape(tmp_path: Path) -> None:
    status, output = _validate(tmp_path, ROW_ERRORS, "--format", "json")
    report = json.loads(output)
    assert status == 1
    assert set(report) >= JSON_KEYS
    assert (report["rows"], report["valid_rows"], report["error_rows"]) == (2, 1, 1)
    assert report["errors"][0] | {"message": ""} == {
        "row": 2,
        "column": "cf",
        "value": "RSSMRA85T10A562X",
        "code": "cf_carattere_controllo",
        "message": "",
    }


def test_an_unusable_file_lists_its_file_errors_in_json(tmp_path: Path) -> None:
    status, output = _validate(tmp_path, "nome\nMario\n", "--format", "json")
    assert status == 2
    assert json.loads(output)["file_errors"] == [
        {
            "code": "colonna_codice_fiscale_mancante",
            "message": "Manca la colonna dei destinatari: aggiungi una colonna «codice fiscale»"
            " (oppure «cf»).",
        }
    ]


def test_the_text_report_stops_at_the_limit(tmp_path: Path) -> None:
    content = "cf;nome\n" + "".join(f"x{i};Mario\n" for i in range(5))
    status, output = _validate(tmp_path, content, "--limit", "2")
    assert status == 1
    assert output.splitlines()[-1] == "… e altri 3 (usa --limit o --format json)."


def test_the_flow_group_is_registered_with_its_italian_help() -> None:
    result = CliRunner().invoke(cli, ["flow", "--help"])
    assert result.exit_code == 0
    assert "Flussi di invio massivo." in result.output


def test_the_text_report_lists_each_file_error_once(tmp_path: Path) -> None:
    status, output = _validate(tmp_path, "nome;nome\nMario;Mario\n")
    assert status == 2
    assert output.splitlines() == [
        "Il file non è utilizzabile:",
        "- Le colonne «nome» e «nome» indicano la stessa cosa: tienine una sola.",
        "- Manca la colonna dei destinatari: aggiungi una colonna «codice fiscale» (oppure «cf»).",
    ]
