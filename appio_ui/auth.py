"""Signing in and out; the signed-in operator lives in the browser session's state."""

from __future__ import annotations

import ipaddress

import streamlit as st

from appio_core.accounts import operators
from appio_core.accounts.operators import authenticate
from appio_core.accounts.permissions import Actor
from appio_ui.runtime import transaction

ACTOR_KEY = "actor"


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def require_actor() -> Actor:
    """The signed-in operator; pages are only reachable after login, so this stops otherwise."""
    actor = current_actor()
    if actor is None:
        st.error("Sessione scaduta: accedi di nuovo.")
        st.stop()
    return actor


def login_page() -> None:
    st.title("IO Flussi")
    st.caption("Invio di messaggi ai cittadini tramite App IO")
    with st.form("login"):
        username = st.text_input("Nome utente")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Accedi", type="primary")
    if submitted:
        with transaction() as session:
            actor = authenticate(session, username, password, client_origin())
        if actor is None:
            st.error("Nome utente o password non corretti, oppure utente disattivato.")
            return
        st.session_state[ACTOR_KEY] = actor
        st.rerun()


def logout() -> None:
    """Button callback: the rerun that follows a callback shows the login page."""
    actor = st.session_state.pop(ACTOR_KEY, None)
    if actor is not None:
        with transaction() as session:
            operators.logout(session, actor)


def client_origin() -> str | None:
    """The browser's address, for the audit log, when known. Streamlit gives none for a
    connection from this machine: then, behind a reverse proxy here (README: nginx), the
    address the proxy added last to X-Forwarded-For, the one it saw itself (the ones
    before it are the browser's word)."""
    address = st.context.ip_address
    if isinstance(address, str):
        return address
    forwarded = st.context.headers.get("X-Forwarded-For")
    last = forwarded.split(",")[-1].strip() if isinstance(forwarded, str) else ""
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return None  # this machine itself, or no proxy header


def requested_id(query_param: str, state_key: str) -> int | None:
    """The id a detail page shows: from its shareable link (?flusso=12), else from the page
    that sent the operator here. The link wins, and is kept in the address bar."""
    raw = st.query_params.get(query_param)
    if raw is not None:
        try:
            value = int(raw)
        except ValueError:
            return None
        st.session_state[state_key] = value
        return value
    remembered = st.session_state.get(state_key)
    if remembered is None:
        return None
    st.query_params[query_param] = str(remembered)
    return int(remembered)
