"""The one way a page runs an action of the core: in its own transaction, with the core's
refusal (an AppError, already in Italian) shown to the operator instead of a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from appio_core.errors import AppError
from appio_ui.feedback import flash_and_rerun, flash_and_switch
from appio_ui.runtime import transaction

T = TypeVar("T")


def show_refusal(error: AppError) -> None:
    st.error(error.message)


def attempt(
    call: Callable[[Session], T],
    *,
    success: str | Callable[[T], str] | None = None,
    switch_to: str | None = None,
    refused: Callable[[AppError], None] = show_refusal,
) -> T | None:
    """Runs `call` in a transaction committed when it returns.

    Refused (an AppError): nothing is committed, `refused` shows why (st.error by
    default) and None is returned. Done: with `success`, the message is kept for the
    rerun (or the page `switch_to`) that follows, and nothing after this call runs;
    without it, the result is returned."""
    try:
        with transaction() as session:
            result = call(session)
    except AppError as error:
        refused(error)
        return None
    if success is not None:
        message = success(result) if callable(success) else success
        if switch_to is not None:
            flash_and_switch(message, switch_to)
        flash_and_rerun(message)
    return result
