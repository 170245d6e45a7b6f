"""A message as App IO will show it: the subject in bold, the Markdown rendered safely (no
raw HTML, no remote images: appio_core.content.preview). Nuova notifica and Nuovo flusso."""

from __future__ import annotations

import html

import streamlit as st

from appio_core.content.preview import preview_html


def message_preview(subject: str, markdown: str) -> None:
    with st.container(border=True):
        st.html(f"<p><strong>{html.escape(subject.strip())}</strong></p>" + preview_html(markdown))
