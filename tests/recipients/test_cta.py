"""Call-to-action buttons (appio_core.content.cta): what an operator may type, what IO gets."""

from __future__ import annotations

import pytest

from appio_core.content import cta
from appio_core.content.lengths import ContentRules, text_length
from appio_core.notifications.content import BUTTONS, TEXT, FieldErrors, check_content

VALID_ACTIONS = [
    ("https://www.comune.example.it/tari", "iohandledlink://https://www.comune.example.it/tari"),
    (" HTTPS://comune.example.it/a?b=1 ", "iohandledlink://HTTPS://comune.example.it/a?b=1"),
    ("iohandledlink://https://comune.example.it", "iohandledlink://https://comune.example.it"),
    ("tel:+39 06 1234 5678", "iohandledlink://tel:+390612345678"),
    ("tel:06/1234-5678", "iohandledlink://tel:0612345678"),
    ("iohandledlink://tel:0612345678", "iohandledlink://tel:0612345678"),
    ("mailto:tributi@comune.example.it", "iohandledlink://mailto:tributi@comune.example.it"),
    ("iosso://https://servizi.comune.example.it", "iosso://https://servizi.comune.example.it"),
]

INVALID_ACTIONS = [
    ("", "Azione: manca l'azione (un indirizzo https://, tel: o mailto:)."),
    ("http://www.comune.example.it", "Azione: l'indirizzo deve iniziare con https:// (non http://)."),
    ("iosso://http://www.comune.example.it", "Azione: l'indirizzo deve iniziare con https:// (non http://)."),
    (
        "https://localhost/x",
        "Azione: «https://localhost/x» non è un indirizzo web valido: scrivilo completo, per"
        " esempio https://www.comune.example.it/pagina.",
    ),
    (
        "https://www.comune .it",
        "Azione: «https://www.comune .it» non è un indirizzo web valido: scrivilo completo, per"
        " esempio https://www.comune.example.it/pagina.",
    ),
    (
        "www.comune.example.it",
        "Azione: «www.comune.example.it» non è un'azione ammessa. Usa un indirizzo web"
        " (https://...), un telefono (tel:...), un'e-mail (mailto:...) o l'accesso al sito del"
        " comune con IO (iosso://https://...).",
    ),
    (
        "ioit://PROFILE_MAIN",
        "Azione: «ioit://PROFILE_MAIN» non è un'azione ammessa. Usa un indirizzo web"
        " (https://...), un telefono (tel:...), un'e-mail (mailto:...) o l'accesso al sito del"
        " comune con IO (iosso://https://...).",
    ),
    (
        "tel:chiamaci",
        "Azione: «tel:chiamaci» non è un numero di telefono valido: scrivi tel: seguito dal"
        " numero, per esempio tel:+390612345678.",
    ),
    (
        "mailto:tributi",
        "Azione: «mailto:tributi» non è un indirizzo e-mail valido: scrivi mailto: seguito"
        " dall'indirizzo, per esempio mailto:tributi@comune.example.it.",
    ),
    (
        "https://comune.example.it/{{codice}}",
        "Azione: i segnaposto {{colonna}} non sono ammessi nei pulsanti.",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "sent"), VALID_ACTIONS)
def test_an_allowed_action_is_stored_in_ios_own_form(typed: str, sent: str) -> None:
    assert cta.check_action(typed) == sent


@pytest.mark.parametrize(("typed", "message"), INVALID_ACTIONS)
def test_a_wrong_action_is_refused_saying_what_to_write(typed: str, message: str) -> None:
    with pytest.raises(cta.CtaError) as refused:
        cta.check_action(typed)
    assert refused.value.message == message


def test_labels_are_required_trimmed_and_at_most_30_characters() -> None:
    button = cta.check_button("  Paga   la TARI ", "https://comune.example.it", " Pay ")
    assert (button.label, button.label_en) == ("Paga la TARI", "Pay")
    with pytest.raises(cta.CtaError) as missing:
        cta.check_button(" ", "https://comune.example.it", number=2)
    assert missing.value.message == "Pulsante 2: manca l'etichetta."
    with pytest.raises(cta.CtaError) as long:
        cta.check_button("x" * 29 + "\U0001f600", "https://comune.example.it")
    assert long.value.message == (
        f"Pulsante 1: l'etichetta «{'x' * 29}\U0001f600» è troppo lunga (31 caratteri, al"
        " massimo 30): accorciala."
    )


def test_every_wrong_button_is_named_at_once_and_blank_rows_are_skipped() -> None:
    with pytest.raises(cta.CtaError) as refused:
        cta.check_buttons([("", "http://a.example.it", ""), ("Chiama", "tel:x", "")])
    assert refused.value.message == (
        "Pulsante 1: manca l'etichetta. Pulsante 2: «tel:x» non è un numero di telefono valido:"
        " scrivi tel: seguito dal numero, per esempio tel:+390612345678."
    )
    assert cta.check_buttons([("", "", ""), ("  ", "", "")]) == ()


def test_at_most_two_buttons() -> None:
    three = [("Uno", "https://a.example.it", "")] * 3
    with pytest.raises(cta.CtaError) as refused:
        cta.check_buttons(three)
    assert refused.value.message == "Al massimo 2 pulsanti per messaggio."


TWO = cta.check_buttons(
    [
        ("Paga la TARI", "https://www.comune.example.it/tari", "Pay the TARI"),
        ('Chiama l\'"ufficio"', "tel:+390612345678", ""),
    ]
)

FRONT_MATTER = """---
it:
    cta_1:
        text: "Paga la TARI"
        action: "iohandledlink://https://www.comune.example.it/tari"
    cta_2:
        text: "Chiama l'\\"ufficio\\""
        action: "iohandledlink://tel:+390612345678"
en:
    cta_1:
        text: "Pay the TARI"
        action: "iohandledlink://https://www.comune.example.it/tari"
    cta_2:
        text: "Chiama l'\\"ufficio\\""
        action: "iohandledlink://tel:+390612345678"
---
"""


def test_the_front_matter_is_ios_yaml_with_both_languages_always() -> None:
    # The app reads only its own language's block: without «en», English users see no button.
    assert cta.front_matter(TWO) == FRONT_MATTER
    assert cta.with_front_matter(TWO, "Testo") == FRONT_MATTER + "Testo"
    assert cta.front_matter(()) == ""
    assert cta.with_front_matter((), "Testo") == "Testo"


def test_what_is_written_reads_back_as_the_app_reads_it() -> None:
    read = cta.read_front_matter(cta.with_front_matter(TWO, "# Titolo\n\nTesto"))
    assert read == cta.ReadMessage(TWO, "# Titolo\n\nTesto", True)
    assert cta.read_front_matter("Solo testo") == cta.ReadMessage((), "Solo testo", False)


def test_a_front_matter_the_app_cannot_use_shows_no_button_and_stays_hidden() -> None:
    broken = "---\nit: [unclosed\n---\nTesto"
    assert cta.read_front_matter(broken) == cta.ReadMessage((), "Testo", True)
    # A bare https:// is not one of the app's forms: that button is dropped.
    bare = (
        '---\nit:\n    cta_1:\n        text: "Vai"\n        action: "https://a.example.it"\n---\nT'
    )
    assert cta.read_front_matter(bare).buttons == ()


def test_the_text_limit_is_lowered_by_the_front_matter_as_io_counts_it() -> None:
    rules = cta.content_rules(TWO)
    assert rules.text_max == 10_000 - text_length(FRONT_MATTER)
    assert cta.content_rules((), ContentRules()) == ContentRules()


def test_a_single_message_whose_text_fits_only_without_buttons_is_refused() -> None:
    text = "a" * 9_900
    fields = {"fiscal_code": "AAAAAA00A00A000A", "subject": "Oggetto di prova", "text": text}
    assert check_content(**fields).markdown == text
    with pytest.raises(FieldErrors) as refused:
        check_content(**fields, buttons=[(b.label, b.action, b.label_en) for b in TWO])
    assert text_length(FRONT_MATTER) == 434
    assert refused.value.fields == {
        TEXT: "Il testo è troppo lungo: ha 9.900 caratteri, al massimo 9.566: accorcialo. I"
        " pulsanti occupano 434 caratteri del limite di IO."
    }


def test_a_wrong_button_is_a_field_error_with_the_others() -> None:
    with pytest.raises(FieldErrors) as refused:
        check_content(
            fiscal_code="AAAAAA00A00A000A", subject="corto", text="a" * 200,
            buttons=[("Vai", "ftp://a.example.it", "")],
        )  # fmt: skip
    assert set(refused.value.fields) == {"oggetto", BUTTONS}


def test_stored_as_json_and_back_and_described_in_italian() -> None:
    assert cta.from_json(cta.to_json(TWO)) == TWO
    assert cta.to_json(()) is None and cta.from_json(None) == ()
    assert cta.describe(TWO) == (
        '«Paga la TARI» → https://www.comune.example.it/tari; «Chiama l\'"ufficio"» →'
        " tel:+390612345678"
    )
    assert [b.kind for b in TWO] == ["pagina web", "telefonata"]


def test_the_cli_form_is_label_equals_action_with_an_optional_english_label() -> None:
    assert cta.split_option("Paga ora|Pay now=https://a.example.it/x?y=1") == (
        "Paga ora",
        "https://a.example.it/x?y=1",
        "Pay now",
    )
    with pytest.raises(cta.CtaError, match="scrivi «Etichetta=azione»"):
        cta.split_option("Paga ora")
