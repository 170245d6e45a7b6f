"""Shareable links of the detail pages: ?flusso=ID opens a flow, ?notifica=ID a notification.
The page shows its own link so an operator can paste it to a colleague."""

from __future__ import annotations

import streamlit as st

from appio_ui.navigation import PAGES

# The flow page also answers to ?flow=ID (links written by hand or by other tools).
FLOW_ALIASES = ("flow",)


# st.context.url may still end with the page the session started on (a detail page reached
# by switch_page), which is not part of the app's address.
PAGE_PATHS = frozenset(spec.url_path for spec in PAGES if not spec.default)  # the default is /


def link_to(app_url: str | None, url_path: str, param: str, value: int) -> str:
    """The full link when the app's address is known, else the part after it."""
    tail = f"{url_path}?{param}={value}"
    if not app_url:
        return tail
    base = app_url.rstrip("/")
    head, _, last = base.rpartition("/")
    if last in PAGE_PATHS and "://" in head:
        base = head
    return f"{base}/{tail}"


def accept_aliases(param: str, aliases: tuple[str, ...]) -> None:
    """?flow=12 becomes ?flusso=12 before the page reads it; the address bar shows the latter."""
    if param in st.query_params:
        return
    for alias in aliases:
        if alias in st.query_params:
            st.query_params[param] = st.query_params[alias]
            del st.query_params[alias]
            return


def share_link(url_path: str, param: str, value: int) -> None:
    """«Link da mandare a un collega», as a link the operator can copy."""
    link = link_to(st.context.url, url_path, param, value)
    st.markdown(
        f":material/link: Link da mandare a un collega: [{link}]({link})",
        help="Chi lo apre vede questa pagina dopo l'accesso, se è abilitato al servizio.",
    )
