"""The counters under the template fields of «Nuovo flusso»."""

from __future__ import annotations

from appio_core.content.counters import template_count


def test_a_subject_without_placeholders_is_counted_as_io_counts_it() -> None:
    count = template_count("Avviso TARI 😀", subject=True)  # the emoji counts twice
    assert count.text == "14 caratteri (da 10 a 120 caratteri)."
    assert not count.wrong
    short = template_count("Avviso", subject=True)
    assert short.wrong and "Troppo corto: ne mancano 4." in short.text


def test_a_text_with_placeholders_counts_its_fixed_part_and_names_them() -> None:
    count = template_count("Gentile {{nome}}, ciao {{ nome }} {{importo}}", subject=False)
    assert count.text.startswith(
        "16 caratteri fissi, più i valori di {{nome}}, {{importo}}: in tutto da 120 a 10.000"
    )
    assert not count.wrong
    too_long = template_count("x" * 10_001 + "{{nome}}", subject=False)
    assert too_long.wrong and "1 di troppo" in too_long.text


def test_an_empty_template_states_the_limits() -> None:
    assert template_count("", subject=True).text == (
        "0 caratteri. L'oggetto deve avere da 10 a 120 caratteri."
    )
