"""Reads of a citizen's data as the pages show them: one audit entry per opening or per
search, never per rerun.

Streamlit runs a page again at every click on it (a row selected, another page of the
grid, «Aggiorna stato»): that is the same reading, drawn again. `first_showing` tells the
page when what it shows is new: another notification or another search on the same page,
or the page reached again from another one (the frame forgets what a page showed as soon
as another page runs). The core records the read when told to (`record=`).
"""

from __future__ import annotations

from collections.abc import Hashable

import streamlit as st

_SHOWN = "personal_data_shown"  # (the page's url_path, what it last recorded showing)


def first_showing(page: str, what: Hashable) -> bool:
    """Whether `what` is new on `page` since the operator came to it; remembers it."""
    shown = (page, what)
    if st.session_state.get(_SHOWN) == shown:
        return False
    st.session_state[_SHOWN] = shown
    return True


def forget_other_pages(page: str) -> None:
    """The frame, before a page runs: what another page showed counts as unseen."""
    shown = st.session_state.get(_SHOWN)
    if shown is not None and shown[0] != page:
        del st.session_state[_SHOWN]
