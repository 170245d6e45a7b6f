"""The grids' columns: key columns never cut, free text wrapped down to its longest word,
short labels on one line while the grid has room, widths from the content as Chromium draws
AG Grid's 12 px text."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from appio_ui.grid import (
    FIT_PX,
    LINE_PX,
    LONG_TEXT_PX,
    MIN_PX,
    WORD_PX,
    column_layout,
    text_px,
)
from appio_ui.notifications_table import ARCHIVE_LABELS, RECIPIENT_LABELS, WHOLE, WIDTHS, WRAP

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
    layout = column_layout(
        _frame(), LABELS, {}, whole={"fiscal_code", "io_message_id"}, wrap={"error_detail", "file"}
    )
    assert set(layout) == set(LABELS)
    assert layout["fiscal_code"]["minWidth"] >= 122
    assert layout["io_message_id"]["minWidth"] >= 204
    assert "wrapText" not in layout["fiscal_code"] and "wrapText" not in layout["id"]
    detail = layout["error_detail"]
    assert detail["wrapText"] and "autoHeight" not in detail  # counted by row_height.js
    # Shrinks to its longest word («caratteri,»), asks for its whole text when there is room.
    assert detail["minWidth"] < 100
    assert detail["width"] == LONG_TEXT_PX
    # A word longer than a column may be (a file's name) breaks instead of widening it.
    assert layout["file"]["minWidth"] <= WORD_PX + 18
    assert layout["file"]["cellStyle"]["wordBreak"] == "break-word"
    # A narrow column takes what it needs, not a share of the page.
    assert MIN_PX <= layout["id"]["minWidth"] < layout["fiscal_code"]["minWidth"]


def test_a_preferred_width_is_asked_for_but_never_below_the_longest_word() -> None:
    layout = column_layout(
        _frame(), LABELS, {"error_detail": 40, "file": 500}, wrap={"error_detail", "file"}
    )
    assert layout["error_detail"]["width"] == layout["error_detail"]["minWidth"]
    assert layout["file"]["width"] == 500


def _never_cut(layout: dict[str, dict[str, Any]], frame: pd.DataFrame) -> None:
    """A column on one line is as wide as its longest value; the others wrap."""
    for column, options in layout.items():
        if options.get("wrapText"):
            # Its lines as tall as row_height.js counts them.
            assert options["cellStyle"]["lineHeight"] == f"{LINE_PX}px", column
        else:
            longest = max(text_px(str(v)) for v in frame[column]) + 18
            assert options["minWidth"] >= longest, column


# The longest values a flow's recipients can have.
RECIPIENTS = pd.DataFrame(
    {
        "row_number": [100_000, 2],
        "sent_at": ["programmata: 05/12/2026 23:44", "05/12/2026 23:44"],
        "fiscal_code": ["RSSMRA85T10A562S", "BNCLCU80A41H501Z"],
        "outcome": ["servizio disattivato dal cittadino", "esito incerto"],
        "error_detail": [LONG_ERROR + " «ApiMessageWriteAdvanced»", ""],
        "io_message_id": ["01M8PXRR4BN27DRFD9FNG94JWF", ""],
        "io_status": ["Accettato, in elaborazione", "—"],
        "email_status": ["Non comunicato da IO", "—"],
        "attempts": [10, 1],
    }
)


def test_a_flows_recipients_fit_a_1366_px_screen_without_scrolling_sideways() -> None:
    """At 1366 px the grid is about 1.000 px wide (the sidebar, the page's margins): every
    column's minimum fits, with the longest values a flow's recipients can have; to fit,
    the labels that give back the most width wrap, none is cut."""
    layout = column_layout(RECIPIENTS, RECIPIENT_LABELS, WIDTHS, WHOLE, WRAP)
    assert FIT_PX == 1000
    assert sum(c["minWidth"] for c in layout.values()) <= FIT_PX
    _never_cut(layout, RECIPIENTS)
    for key in ("row_number", "fiscal_code", "io_message_id", "attempts"):
        assert "wrapText" not in layout[key]
    assert layout["error_detail"]["wrapText"]
    # Not every label fits on one line beside them: the widest give way.
    assert layout["outcome"]["wrapText"] and "wrapText" not in layout["attempts"]


def test_short_labels_stay_on_one_line_and_only_free_text_wraps() -> None:
    """Only free text wraps: an outcome, a status, a date, an author are drawn on one line,
    whole."""
    frame = pd.DataFrame(
        {
            "id": [1234, 1235],
            "sent_at": ["05/12/2026 23:44", "05/12/2026 23:45"],
            "fiscal_code": ["RSSMRA85T10A562S", "BNCLCU80A41H501Z"],
            "subject": ["Avviso di pagamento TARI 2026, prima rata", "Promemoria"],
            "outcome": ["consegnato", "non su IO"],
            "io_status": ["Consegnato nell'app", "—"],
            "flow": ["n. 12 – TARI 2026 acconto", "singola"],
            "created_by": ["mrossi", "admin"],
        }
    )
    labels = {c: label for c, label in ARCHIVE_LABELS.items() if c in frame}
    layout = column_layout(frame, labels, WIDTHS, WHOLE, WRAP)
    wrapped = {c for c, options in layout.items() if options.get("wrapText")}
    assert wrapped == {"subject", "flow"}
    _never_cut(layout, frame)
    assert layout["outcome"]["minWidth"] == layout["outcome"]["width"]
    assert sum(c["minWidth"] for c in layout.values()) <= FIT_PX


def test_a_label_too_long_for_the_grid_wraps_instead_of_pushing_the_others_out() -> None:
    """A service's name may run to 200 characters: on one line it would leave no room."""
    frame = pd.DataFrame(
        {
            "id": [1],
            "service_name": ["Servizi demografici e di stato civile " * 5],
            "outcome": ["consegnato"],
        }
    )
    labels = {"id": "N.", "service_name": "Servizio", "outcome": "Esito"}
    layout = column_layout(frame, labels, {}, wrap=())
    assert layout["service_name"]["wrapText"] and layout["service_name"]["minWidth"] <= 118
    assert "wrapText" not in layout["outcome"]
    # With room enough, the same name stays on one line.
    roomy = column_layout(frame, labels, {}, fit_px=2000)
    assert "wrapText" not in roomy["service_name"]
    _never_cut(roomy, frame)
