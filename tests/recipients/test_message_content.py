"""Message content: lengths, amounts, notice numbers, due dates; single values and columns."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from appio_core.content import message as mc
from appio_core.content.message import ContentError, ContentRules
from appio_core.errors import InvalidInput

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
AMOUNT_FORMAT_MESSAGE = (
    "Importo non valido: scrivilo in euro, come 1.234,56 o 12,50, senza segno e con"
    " al massimo due decimali."
)
DUE_DATE_MESSAGE = (
    "Data di scadenza non valida: scrivila come 31/12/2026 oppure 31/12/2026 18:00 (ora italiana)."
)

REFUSED_RULES = (
    {"text_min": 79},
    {"text_min": 10_001},
    {"text_max": 10_001},
    {"subject_min": 9},
    {"subject_max": 121},
    {"subject_min": 50, "subject_max": 40},
)
ACCEPTED_RULES: tuple[dict[str, int], ...] = (
    {},
    {"text_min": 80},
    {"subject_min": 20, "text_max": 5_000},
)

# (value, rules, code, message)
SUBJECTS_REFUSED = (
    ("", ContentRules(), "oggetto_mancante", "Manca l'oggetto del messaggio."),
    (
        "Avviso",
        ContentRules(),
        "oggetto_corto",
        "L'oggetto è troppo corto: ha 6 caratteri, ne servono almeno 10.",
    ),
    (
        "x" * 121,
        ContentRules(),
        "oggetto_lungo",
        "L'oggetto è troppo lungo: ha 121 caratteri, al massimo 120: accorcialo.",
    ),
    (
        "Avviso TARI 2026",
        ContentRules(subject_min=20),
        "oggetto_corto",
        "L'oggetto è troppo corto: ha 16 caratteri, ne servono almeno 20.",
    ),
)
TEXTS_REFUSED = (
    ("   ", ContentRules(), "testo_mancante", "Manca il testo del messaggio."),
    (
        "x" * 119,
        ContentRules(),
        "testo_corto",
        "Il testo è troppo corto: ha 119 caratteri, ne servono almeno 120: aggiungi dettagli.",
    ),
    (
        "x" * 10_001,
        ContentRules(),
        "testo_lungo",
        "Il testo è troppo lungo: ha 10.001 caratteri, al massimo 10.000: accorcialo.",
    ),
)

# (as written, euro cents)
AMOUNTS = (
    ("1.234,56", 123456),
    ("€ 12,50", 1250),
    ("12,50 €", 1250),
    ("EUR 12,50", 1250),
    ("12.5", 1250),
    ("12.50", 1250),
    ("12,5", 1250),
    ("1234", 123400),
    ("1.234", 123400),  # a dot before three digits separates thousands, the Italian way
    ("1.234.567,89", 123456789),
    ("1 234,56", 123456),
    ("0,01", 1),
    (12.5, 1250),  # an Excel number cell
    (3, 300),
    (1234.56, 123456),
)
# (as written, code, message); maximum 10,000.00 euro
AMOUNTS_REFUSED = (
    ("abc", "importo_non_valido", AMOUNT_FORMAT_MESSAGE),
    ("-5", "importo_non_valido", AMOUNT_FORMAT_MESSAGE),
    ("12,345", "importo_non_valido", AMOUNT_FORMAT_MESSAGE),
    ("1,234.56", "importo_non_valido", AMOUNT_FORMAT_MESSAGE),
    ("12.3.4", "importo_non_valido", AMOUNT_FORMAT_MESSAGE),
    (12.345, "importo_non_valido", AMOUNT_FORMAT_MESSAGE),
    ("€", "importo_non_valido", AMOUNT_FORMAT_MESSAGE),
    ("0", "importo_nullo", "L'importo deve essere di almeno € 0,01."),
    ("0,00", "importo_nullo", "L'importo deve essere di almeno € 0,01."),
    (
        "10.000,01",
        "importo_troppo_alto",
        "L'importo supera il massimo consentito per il servizio (€ 10.000,00).",
    ),
)

NOTICES = (
    ("301000000000000001", "301000000000000001"),
    ("001234567890123456", "001234567890123456"),
    (" 3010 0000 0000 0000 01 ", "301000000000000001"),
)
NOTICE_MESSAGE = "Il numero avviso deve avere 18 cifre e iniziare con 0, 1, 2 o 3."
NOTICES_REFUSED = (
    ("401000000000000001", "avviso_non_valido", NOTICE_MESSAGE),
    ("30100000000000001", "avviso_non_valido", NOTICE_MESSAGE),
    ("3010000000000000011", "avviso_non_valido", NOTICE_MESSAGE),
    ("30100000000000000A", "avviso_non_valido", NOTICE_MESSAGE),
    ("", "avviso_non_valido", NOTICE_MESSAGE),
    (
        3.01e17,
        "avviso_numerico",
        "Il numero avviso è salvato come numero e ha perso cifre: formatta la colonna come"
        " testo e incolla di nuovo i 18 caratteri.",
    ),
)

# (as written, ISO-8601 UTC): Europe/Rome is UTC+1 in winter, UTC+2 in summer
DUE_DATES = (
    ("31/12/2026 18:00", "2026-12-31T17:00:00.000Z"),
    ("31/12/2026", "2026-12-31T22:59:59.000Z"),  # a date alone: the end of that day
    ("1/7/2026 9.30", "2026-07-01T07:30:00.000Z"),
    ("01-07-2026 09:30:15", "2026-07-01T07:30:15.000Z"),
    ("31.12.2026", "2026-12-31T22:59:59.000Z"),
    ("2026-12-31", "2026-12-31T22:59:59.000Z"),
    ("2026-07-01T09:30:00", "2026-07-01T07:30:00.000Z"),
    ("29/02/2028", "2028-02-29T22:59:59.000Z"),
    ("29/03/2026 02:30", "2026-03-29T01:00:00.000Z"),  # skipped by the clock change: 03:00
    ("25/10/2026 02:30", "2026-10-25T00:30:00.000Z"),  # happens twice: the first one
    (dt.datetime(2026, 12, 31, 18, 0), "2026-12-31T17:00:00.000Z"),  # Excel date-time cell
    (dt.datetime(2026, 12, 31), "2026-12-31T22:59:59.000Z"),  # Excel date cell
    (dt.date(2026, 12, 31), "2026-12-31T22:59:59.000Z"),
)
DUE_DATES_REFUSED = ("31/02/2026", "31/12/26", "32/01/2026", "31/12/2026 25:00", "domani", "")


@pytest.mark.parametrize("settings", REFUSED_RULES)
def test_content_rules_refuse_limits_outside_io_s_own(settings: dict[str, int]) -> None:
    with pytest.raises(InvalidInput):
        ContentRules(**settings)


def test_content_rules_say_why_a_text_minimum_below_80_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        ContentRules(text_min=79)
    assert raised.value.message == (
        "Limiti del testo non validi: devono stare tra 80 e 10.000 caratteri (i limiti di IO),"
        " con il minimo non oltre il massimo."
    )


@pytest.mark.parametrize("settings", ACCEPTED_RULES)
def test_content_rules_accept_limits_within_io_s_own(settings: dict[str, int]) -> None:
    assert ContentRules(**settings).text_min >= 80


def test_the_default_rules_are_the_operators_rule() -> None:
    assert ContentRules() == ContentRules(
        subject_min=10, subject_max=120, text_min=120, text_max=10_000
    )


@pytest.mark.parametrize(("value", "rules", "code", "message"), SUBJECTS_REFUSED)
def test_a_subject_out_of_bounds_is_refused(
    value: str, rules: ContentRules, code: str, message: str
) -> None:
    with pytest.raises(ContentError) as raised:
        mc.check_subject(value, rules)
    assert (raised.value.code, raised.value.message) == (code, message)


@pytest.mark.parametrize(("value", "rules", "code", "message"), TEXTS_REFUSED)
def test_a_text_out_of_bounds_is_refused(
    value: str, rules: ContentRules, code: str, message: str
) -> None:
    with pytest.raises(ContentError) as raised:
        mc.check_text(value, rules)
    assert (raised.value.code, raised.value.message) == (code, message)


def test_subject_and_text_at_the_limits_are_accepted_without_surrounding_spaces() -> None:
    assert mc.check_subject(" " + "x" * 10 + " ") == "x" * 10
    assert mc.check_subject("x" * 120) == "x" * 120
    assert mc.check_text("x" * 120) == "x" * 120
    assert mc.check_text("x" * 10_000) == "x" * 10_000


@pytest.mark.parametrize(("written", "cents"), AMOUNTS)
def test_an_amount_written_the_italian_way_becomes_euro_cents(
    written: str | float, cents: int
) -> None:
    assert mc.parse_amount(written, max_amount=1_000_000_000) == cents


@pytest.mark.parametrize(("written", "code", "message"), AMOUNTS_REFUSED)
def test_a_wrong_amount_is_refused_with_what_to_fix(
    written: str | float, code: str, message: str
) -> None:
    with pytest.raises(ContentError) as raised:
        mc.parse_amount(written, max_amount=1_000_000)
    assert (raised.value.code, raised.value.message) == (code, message)


def test_without_a_service_maximum_io_s_own_maximum_applies() -> None:
    assert mc.parse_amount("99.999.999,99") == 9_999_999_999
    with pytest.raises(ContentError) as raised:
        mc.parse_amount("100.000.000,00")
    assert raised.value.message == (
        "L'importo supera il massimo consentito per il servizio (€ 99.999.999,99)."
    )


@pytest.mark.parametrize(("written", "expected"), NOTICES)
def test_a_notice_number_is_returned_without_spaces(written: str, expected: str) -> None:
    assert mc.check_notice_number(written) == expected


@pytest.mark.parametrize(("written", "code", "message"), NOTICES_REFUSED)
def test_a_wrong_notice_number_is_refused(written: str | float, code: str, message: str) -> None:
    with pytest.raises(ContentError) as raised:
        mc.check_notice_number(written)  # type: ignore[arg-type]
    assert (raised.value.code, raised.value.message) == (code, message)


@pytest.mark.parametrize(("written", "iso"), DUE_DATES)
def test_a_due_date_in_italian_time_becomes_iso_utc(written: str | dt.datetime, iso: str) -> None:
    assert mc.parse_due_date(written, now=NOW) == iso


@pytest.mark.parametrize("written", DUE_DATES_REFUSED)
def test_a_wrong_due_date_is_refused(written: str) -> None:
    with pytest.raises(ContentError) as raised:
        mc.parse_due_date(written, now=NOW)
    assert (raised.value.code, raised.value.message) == ("scadenza_non_valida", DUE_DATE_MESSAGE)


def test_a_past_due_date_is_accepted_by_itself_and_warned_about_in_a_column() -> None:
    assert mc.parse_due_date("01/01/2020", now=NOW) == "2020-01-01T22:59:59.000Z"
    checked = mc.due_date_column(pd.Series(["01/01/2020", "31/12/2030", ""]), now=NOW)
    assert [w if isinstance(w, str) else None for w in checked.warnings] == [
        "scadenza_passata",
        None,
        None,
    ]
    assert checked.present.tolist() == [True, True, False]
    assert mc.due_date_message("scadenza_passata") == (
        "La data di scadenza è già passata: controlla che sia quella giusta."
    )


def test_the_amount_column_leaves_blank_cells_alone() -> None:
    checked = mc.amount_column(pd.Series(["12,50", "", "  ", "x"]), max_amount=None)
    assert checked.present.tolist() == [True, False, False, True]
    assert checked.cents.tolist() == [1250, pd.NA, pd.NA, pd.NA]
    assert [e if isinstance(e, str) else None for e in checked.errors] == [
        None,
        None,
        None,
        "importo_non_valido",
    ]


def test_format_cents_writes_euro_the_italian_way() -> None:
    assert mc.format_cents(123456) == "€ 1.234,56"
    assert mc.format_cents(5) == "€ 0,05"


def _chunked(*chunks: list[str]) -> pd.Series:
    """A column as pyarrow reads a large CSV: several chunks, not one array."""
    return pd.Series(pd.array(pa.chunked_array(chunks, type=pa.large_string()), dtype="str"))


def test_columns_read_in_chunks_are_cleaned_like_whole_ones() -> None:
    amounts = mc.amount_column(_chunked(["€ 1,00", "2,00"], ["€ 3,00", "x"]))
    assert amounts.cents.tolist()[:3] == [100, 200, 300]
    notices = mc.notice_column(_chunked(["3010 0000 0000 0000 01"], ["301000000000000002"]))
    assert notices.values.tolist() == ["301000000000000001", "301000000000000002"]


def test_lengths_are_counted_as_io_counts_them_with_emoji_as_two() -> None:
    assert mc.text_length("Scadenza 📅") == 11
    assert mc.text_lengths(pa.array(["abc", "a😀b", "€uro"], type=pa.large_string())).tolist() == [
        3,
        4,
        4,
    ]
    with pytest.raises(ContentError) as raised:
        mc.check_subject("x" * 119 + "😀")
    assert raised.value.message == (
        "L'oggetto è troppo lungo: ha 121 caratteri, al massimo 120: accorcialo."
    )
