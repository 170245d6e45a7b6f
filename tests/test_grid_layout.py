"""The grids' columns: key columns never cut, text wrapped down to its longest word, widths
from the content as Chromium draws AG Grid's 12 px text."""

from __future__ import annotations

import pandas as pd
import pytest

from appio_ui.grid import LONG_TEXT_PX, MIN_PX, WORD_PX, column_layout, text_px
from appio_ui.notifications_table import RECIPIENT_LABELS, WHOLE, WIDTHS

LONG_ERROR = "Il testo è troppo lungo: ha 19.014 caratteri, al massimo 10.000. " * 3
# Widths Chromium measured for AG Grid's cells (12 px sans-serif) on Debian: the estimate may
# be a little wider, never narrower (a key column would be cut).
MEASURED = [
    ("01M8PXRR4BN27DRFD9FNG94JWF", 203.4),
    ("RSSMRA85T10A562S", 121.4),
    ("05/12/2026 23:44", 93.4),
    ("Non comunicato da IO", 119.4),
    ("Servizi scolastici - Mensa", 134.7),
    ("abcdefghijklmnopqrstuvwxyz", 152.7),
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 211.4),
    ("0123456789", 66.7),
]
MEASURED_BOLD = [("abcdefghijklmnopqrstuvwxyz", 168.0), ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 214.7)]


@pytest.mark.parametrize(("text", "measured"), MEASURED)
def test_the_estimate_of_a_texts_width_is_never_short_and_close(text: str, measured: float) -> None:
    assert measured <= text_px(text) <= measured + 3


@pytest.mark.parametrize(("text", "measured"), MEASURED_BOLD)
def test_the_estimate_of_a_headers_width_is_never_short_and_close(
    text: str, measured: float
) -> None:
    assert measured <= text_px(text, bold=True) <= measured + 3


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2],
            "fiscal_code": ["RSSMRA85T10A562S", "BNCLCU80A41H501Z"],
            "io_message_id": ["01M8PXRR4BN27DRFD9FNG94JWF", ""],
            "error_detail": [LONG_ERROR, ""],
            "file": ["tari-2026-avviso-di-pagamento-per-tutti-i-contribuenti.csv", ""],
            "hidden": ["x", "y"],
        }
    )


LABELS = {
    "id": "N.",
    "fiscal_code": "Codice fiscale",
    "io_message_id": "ID messaggio IO",
    "error_detail": "Dettaglio",
    "file": "File",
}


def test_key_columns_are_as_wide_as_their_content_and_text_wraps_to_its_longest_word() -> None:
    layout = column_layout(_frame(), LABELS, {}, whole={"fiscal_code", "io_message_id"})
    assert set(layout) == set(LABELS)
    assert layout["fiscal_code"]["minWidth"] >= 122
    assert layout["io_message_id"]["minWidth"] >= 204
    assert "wrapText" not in layout["fiscal_code"] and "wrapText" not in layout["id"]
    detail = layout["error_detail"]
    assert detail["wrapText"] and detail["autoHeight"]
    # Shrinks to its longest word («caratteri,»), asks for its whole text when there is room.
    assert detail["minWidth"] < 100
    assert detail["width"] == LONG_TEXT_PX
    # A word longer than a column may be (a file's name) breaks instead of widening it.
    assert layout["file"]["minWidth"] <= WORD_PX + 18
    assert layout["file"]["cellStyle"] == {"wordBreak": "break-word"}
    # A narrow column takes what it needs, not a share of the page.
    assert MIN_PX <= layout["id"]["minWidth"] < layout["fiscal_code"]["minWidth"]


def test_a_preferred_width_is_asked_for_but_never_below_the_longest_word() -> None:
    layout = column_layout(_frame(), LABELS, {"error_detail": 40, "file": 500})
    assert layout["error_detail"]["width"] == layout["error_detail"]["minWidth"]
    assert layout["file"]["width"] == 500


def test_a_flows_recipients_fit_a_1366_px_screen_without_scrolling_sideways() -> None:
    """At 1366 px the grid is about 1.000 px wide (the sidebar, the page's margins): every
    column's minimum fits, with the longest values a flow's recipients can have."""
    frame = pd.DataFrame(
        {
            "row_number": [100_000],
            "sent_at": ["programmata: 05/12/2026 23:44"],
            "fiscal_code": ["RSSMRA85T10A562S"],
            "outcome": ["servizio disattivato"],
            "error_detail": [LONG_ERROR + " «ApiMessageWriteAdvanced»"],
            "io_message_id": ["01M8PXRR4BN27DRFD9FNG94JWF"],
            "io_status": ["Non comunicato da IO"],
            "email_status": ["Non comunicato da IO"],
            "attempts": [10],
        }
    )
    layout = column_layout(frame, RECIPIENT_LABELS, WIDTHS, WHOLE)
    assert sum(c["minWidth"] for c in layout.values()) <= 1000
