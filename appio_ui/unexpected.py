"""An error nobody foresaw: the operator reads an Italian message with a reference code,
the server's log gets the details under that code. Never a traceback in the browser (it
would show code, paths and, in an exception's message, data).

The log keeps the exception's type and where it happened, not its message: a message
may hold a codice fiscale, a key or a message's text."""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec

import streamlit as st

log = logging.getLogger("appio_ui.unexpected")
P = ParamSpec("P")
_CALLBACK_CODE = "unexpected_callback_code"


def reference_code() -> str:
    return secrets.token_hex(4).upper()


def log_unexpected(error: BaseException, code: str) -> None:
    frames = "".join(traceback.format_tb(error.__traceback__))
    cause = error.__cause__ or error.__context__
    caused_by = f" (caused by {type(cause).__name__})" if cause is not None else ""
    log.error(
        "unexpected error, reference %s: %s%s\n%s",
        code,
        type(error).__name__,
        caused_by,
        frames,
    )


def _show(code: str) -> None:
    st.error(
        "Si è verificato un errore imprevisto: l'operazione non è stata completata."
        f" Riprova; se si ripete, comunica all'assistenza il codice {code}"
        " e l'ora in cui è successo.",
        icon=":material/error:",
    )


@contextmanager
def unexpected_errors() -> Iterator[None]:
    """Around a whole run of the app. st.rerun, st.stop and st.switch_page pass through:
    they are not Exceptions."""
    failed_callback = st.session_state.pop(_CALLBACK_CODE, None)
    if failed_callback:
        _show(failed_callback)
    try:
        yield
    except Exception as error:
        code = reference_code()
        log_unexpected(error, code)
        _show(code)


def guarded(callback: Callable[P, None]) -> Callable[P, None]:
    """For a widget's callback, which Streamlit runs before the script (outside
    unexpected_errors): the run that follows shows the message."""

    @wraps(callback)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            callback(*args, **kwargs)
        except Exception as error:
            code = reference_code()
            log_unexpected(error, code)
            st.session_state[_CALLBACK_CODE] = code

    return run
