"""What the app looks like beyond Streamlit's own theme: a local icon, and Italian words
where Streamlit has only English ones.

Nothing is fetched from elsewhere: a Material icon as page_icon makes the browser load the
favicon from fonts.gstatic.com, so the icon is a file of the repository, served by the app.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

ICON = Path(__file__).resolve().parent / "assets" / "icon.png"

# st.file_uploader has no parameter for its button («Upload») nor for its instructions
# («200MB per file • XLSX, CSV»): their text is hidden (font-size 0) and Italian text takes
# its place. The accepted types are in each uploader's label. A table's cell breaks a long
# word (a value of 19.000 «N» in the «Verifica file» report) instead of hiding its end;
# so does a message's preview (st.html).
# The hints under a field being typed in («Press Enter to apply», «Press Ctrl+Enter to
# submit form») are English only: hidden (Enter still applies, the form's button submits).
# The page's sides keep 1.5 rem instead of Streamlit's 5: at 1366 px, the most common office
# screen, the grids of the archives and the details show every column without scrolling.
_BUTTON = (
    '[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"]'
    ' [data-testid="stMarkdownContainer"] p'
)
_INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"] span'


def italian_css(max_upload_mb: int) -> str:
    return f"""<style>
{_BUTTON} {{ font-size: 0; }}
{_BUTTON}::after {{ content: "Scegli il file"; font-size: 0.875rem; }}
{_INSTRUCTIONS} {{ font-size: 0; }}
[data-testid="stTable"] td * {{ overflow-wrap: anywhere !important; }}
[data-testid="InputInstructions"] {{ display: none; }}
[data-testid="stHtml"] {{ overflow-wrap: anywhere; }}
[data-testid="stMainBlockContainer"] {{ padding-left: 1.5rem; padding-right: 1.5rem; }}
{_INSTRUCTIONS}::after {{
  content: "oppure trascinalo qui (al massimo {max_upload_mb} MB)";
  font-size: 0.875rem;
}}
</style>"""


def apply_look() -> None:
    """Once per run, before the page: the Italian words over Streamlit's English ones."""
    st.html(italian_css(int(st.get_option("server.maxUploadSize"))))
