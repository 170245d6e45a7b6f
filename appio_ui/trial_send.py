"""The «Invio di prova» button: the first message to IO's test citizen, with its outcome."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.errors import AppError
from appio_core.notifications.single import SingleResult
from appio_core.notifications.trial import TEST_CITIZEN
from appio_ui.notification_form import show_send_result
from appio_ui.runtime import keybox, sessionmaker_, settings

Send = Callable[[sessionmaker[Session], KeyBox, str], SingleResult]


def trial_button(key: str, send: Send) -> None:
    """The button, and under it the last trial's outcome (kept until the page changes)."""
    result_key = f"{key}_result"
    if st.button(
        "Invio di prova",
        icon=":material/science:",
        key=key,
        help=f"Invia il messaggio della prima riga al cittadino di prova di IO ({TEST_CITIZEN})"
        " per vederlo nell'app prima dell'invio vero. Compare tra le Notifiche.",
    ):
        try:
            with st.spinner("Invio di prova a IO…"):
                st.session_state[result_key] = send(
                    sessionmaker_(), keybox(), settings().io_base_url
                )
        except AppError as exc:
            st.session_state.pop(result_key, None)
            st.error(exc.message)
    result: SingleResult | None = st.session_state.get(result_key)
    if result is not None:
        st.caption(f"Invio di prova al cittadino di prova {TEST_CITIZEN}:")
        show_send_result(result)
