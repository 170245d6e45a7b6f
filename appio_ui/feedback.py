"""A message that survives the rerun which follows a saved change."""

from __future__ import annotations

import streamlit as st

_KEY = "flash_message"


def flash_and_rerun(message: str) -> None:
    st.session_state[_KEY] = message
    st.rerun()


def show_flash() -> None:
    message = st.session_state.pop(_KEY, None)
    if message:
        st.success(message)


def flash_and_switch(message: str, page: str) -> None:
    st.session_state[_KEY] = message
    st.switch_page(page)
