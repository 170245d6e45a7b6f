"""Forms that keep what the operator typed when the core refuses it, and start empty again
once it is saved.

`st.form(clear_on_submit=True)` empties the form on every submit, refusals included (the
operator retyped everything after «Password troppo corta»). Instead the form's key carries
a generation: a refusal keeps the same key and so the typed values; a success moves to the
next generation, whose widgets are new and empty.
"""

from __future__ import annotations

import streamlit as st


def _generation_key(name: str) -> str:
    return f"_form_generation_{name}"


def form_key(name: str) -> str:
    """The key of the form `name` now (use it for the form and as its widgets' prefix)."""
    return f"{name}_{st.session_state.get(_generation_key(name), 0)}"


def clear_form(name: str) -> None:
    """Saved: the next run shows the form empty."""
    key = _generation_key(name)
    st.session_state[key] = st.session_state.get(key, 0) + 1
