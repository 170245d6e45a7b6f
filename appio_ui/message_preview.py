"""A message as App IO will show it: the subject in bold, the Markdown rendered safely (no
raw HTML, no remote images: appio_core.content.preview), the call-to-action buttons below
the text. Nuova notifica, Nuovo flusso and the details.

A front matter already in the text (a message read back from IO) is not shown as text: the
app hides it too, and shows its buttons."""

from __future__ import annotations

import html

import streamlit as st

from appio_core.content import cta
from appio_core.content.preview import preview_html

# IO's blue; the first button is filled, the second outlined, as in the app.
_BLUE = "#0073E6"
_BUTTON = (
    "display:block;box-sizing:border-box;width:100%;margin:6px 0 0 0;padding:10px 12px;"
    "border-radius:8px;border:2px solid {blue};font-weight:700;text-align:center;"
    "background:{background};color:{color};"
)


def buttons_html(buttons: cta.Buttons) -> str:
    """The buttons as the preview shows them, each with what it does, in Italian."""
    if not buttons:
        return ""
    parts = ['<div class="appio-cta" style="margin-top:12px">']
    for number, button in enumerate(buttons, start=1):
        filled = number == 1
        style = _BUTTON.format(
            blue=_BLUE,
            background=_BLUE if filled else "#FFFFFF",
            color="#FFFFFF" if filled else _BLUE,
        )
        parts.append(
            f'<div role="button" style="{style}" title="{html.escape(button.target)}">'
            f"{html.escape(button.label)}</div>"
            f'<div style="font-size:0.8em;color:#555;text-align:center">'
            f"{html.escape(button.kind)}: {html.escape(button.target)}</div>"
        )
    parts.append("</div>")
    return "".join(parts)


def message_preview(subject: str, markdown: str, buttons: cta.Buttons = ()) -> None:
    read = cta.read_front_matter(markdown)
    shown = buttons or read.buttons
    with st.container(border=True):
        st.html(
            '<div class="appio-preview" style="padding:8px 6px">'
            f"<p><strong>{html.escape(subject.strip())}</strong></p>"
            + preview_html(read.body)
            + buttons_html(shown)
            + "</div>"
        )
