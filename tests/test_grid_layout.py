"""The grids' columns: key columns never cut, long text wrapped, widths from the content."""

from __future__ import annotations

import pandas as pd

from appio_ui.grid import CHAR_PX, LONG_TEXT_PX, column_layout

LONG_ERROR = "Il testo è troppo lungo: ha 19.014 caratteri, al massimo 10.000. " * 3


def test_key_columns_are_as_wide_as_their_content_and_long_text_wraps() -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 2],
            "fiscal_code": ["RSSMRA85T10A562S", "BNCLCU80A41H501Z"],
            "io_message_id": ["01M8PXRR4BN27DRFD9FNG94JWF", ""],
            "error_detail": [LONG_ERROR, ""],
            "hidden": ["x", "y"],
        }
    )
    labels = {
        "id": "N.",
        "fiscal_code": "Codice fiscale",
        "io_message_id": "ID messaggio IO",
        "error_detail": "Dettaglio",
    }
    layout = column_layout(frame, labels, {})
    assert set(layout) == set(labels)
    assert layout["fiscal_code"]["minWidth"] >= 16 * CHAR_PX
    assert layout["io_message_id"]["minWidth"] >= 26 * CHAR_PX
    assert "wrapText" not in layout["fiscal_code"]
    assert layout["error_detail"] == {
        "minWidth": LONG_TEXT_PX,
        "wrapText": True,
        "autoHeight": True,
    }
    # A narrow column takes what it needs, not a share of the page.
    assert layout["id"]["minWidth"] < layout["fiscal_code"]["minWidth"]
