"""The report of «Verifica file» as the operator reads it (Streamlit's AppTest)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from appio_core.content.template import Template
from appio_ui.report_view import plain


def _shown(content: bytes, subject: str, text: str) -> AppTest:
    def page(content: bytes, subject: str, text: str) -> None:
        from appio_core.recipient_file.validation import FileOptions, validate_file
        from appio_ui.report_view import show_report

        options = FileOptions(subject_template=subject, text_template=text)
        show_report(validate_file(content, "destinatari.csv", options))

    at = AppTest.from_function(page, args=(content, subject, text), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


TEXT = "Gentile {{nome}}, " + "le scriviamo per ricordarle una scadenza importante. " * 3
MARIO = "RSSMRA85T10A562S"


def _cells(at: AppTest) -> list[str]:
    return [str(v) for table in at.table for v in table.value.to_numpy().ravel()]


def test_each_message_is_shown_whole() -> None:
    long_name = "N" * 19_000
    content = f"cf;nome\n{MARIO};{long_name}\n".encode()
    at = _shown(content, "Avviso per il cittadino", TEXT)
    [message] = [c for c in _cells(at) if "troppo lungo" in c]
    length = f"{19_000 + Template.parse(TEXT).fixed_length():,}".replace(",", ".")
    assert message == plain(
        f"Il testo è troppo lungo: ha {length} caratteri, al massimo 10.000: accorcialo."
    )


def test_a_template_s_problem_is_shown_once_above_the_rows() -> None:
    content = f"cf;nome\n{MARIO};Mario\nRSSMRA85T10A562X;Errato\n".encode()
    at = _shown(content, "Avviso", TEXT)
    errors = [e.value for e in at.error]
    assert errors[0].startswith("L'oggetto è troppo corto: ha 6 caratteri")
    assert sum("L'oggetto è troppo corto" in e for e in errors) == 1
    assert errors[1].startswith("Il file ha errori da correggere. Nel file, 2 righe: 1 con")
    assert not any("troppo corto" in c for c in _cells(at))  # not repeated on the rows


def test_a_cell_is_shown_as_text_never_as_markdown() -> None:
    cell = "![x](http://host/t.png)"
    at = _shown(f"cf;nome\n{MARIO};{cell}\n".encode(), "Avviso per {{nome}}", TEXT)
    assert plain(cell) == "\\!\\[x\\]\\(http\\:\\/\\/host\\/t\\.png\\)"
    assert plain(cell) in _cells(at)
    assert any(m.value.startswith("**Avvisi**") for m in at.markdown)
