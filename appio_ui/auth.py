"""Signing in and out. The session lives in the database (appio_core.accounts.sessions);
the browser keeps only its token, in a cookie, so a reload or a bookmarked link finds the
operator still signed in. Every run reads the operator afresh from the database: a role
changed or an account disabled counts from the next click."""

from __future__ import annotations

import ipaddress
import json
import secrets

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from appio_core.accounts import operators
from appio_core.accounts.operators import authenticate
from appio_core.accounts.permissions import Actor
from appio_core.accounts.sessions import SessionPolicy, open_session, resume, revoke
from appio_core.accounts.sso import sign_in_by_email
from appio_core.accounts.throttle import LoginLocked, ThrottlePolicy
from appio_ui import sso
from appio_ui.runtime import settings, transaction
from appio_ui.unexpected import guarded

ACTOR_KEY = "actor"
TOKEN_KEY = "session_token"
COOKIE_KEY = "session_cookie"  # what the next run writes into the browser's cookie
COOKIE = "appio_session"
ENDED_KEY = "session_ended"
SSO_TRIED_KEY = "sso_tried"
SSO_REFUSED_KEY = "sso_refused"


def policy() -> SessionPolicy:
    current = settings()
    return SessionPolicy.of(current.session_idle_minutes, current.session_max_hours)


def current_actor() -> Actor | None:
    """The signed-in operator as the database has him now, or None (then the login shows).

    Called once per run by app.py; pages read the result with require_actor()."""
    # "" once signed out here: the cookie the browser sent at connection is not read again.
    token = st.session_state.get(TOKEN_KEY)
    if token is None:
        cookie = st.context.cookies.get(COOKIE)
        token = cookie if isinstance(cookie, str) else None
    if not token:
        st.session_state.pop(ACTOR_KEY, None)
        return _single_sign_on()
    with transaction() as session:
        operator = resume(session, token, policy())
        actor = Actor.of(operator, client_origin()) if operator is not None else None
    if actor is None:
        st.session_state[TOKEN_KEY] = ""
        st.session_state[ENDED_KEY] = True
        st.session_state.pop(ACTOR_KEY, None)
        st.session_state[COOKIE_KEY] = ""  # forget the dead token
        if sso.configured():
            # The provider's identity outlives ours: an ended session is not silently
            # renewed by it; «Accedi con l'account dell'ente» asks for it again.
            st.session_state[SSO_TRIED_KEY] = sso.identity_email()
        return None
    st.session_state[TOKEN_KEY] = token
    st.session_state[ACTOR_KEY] = actor
    return actor


def _single_sign_on() -> Actor | None:
    """Signs in the operator the identity provider vouched for (st.login), once per
    identity and browser session: a refused one is said on the login page, not retried
    (and logged) at every click."""
    if not sso.configured():
        return None
    email = sso.identity_email()
    if email is None or st.session_state.get(SSO_TRIED_KEY) == email:
        return None
    st.session_state[SSO_TRIED_KEY] = email
    origin = client_origin()
    with transaction() as session:
        actor = sign_in_by_email(session, email, origin)
        token = (
            open_session(session, actor.id, policy(), origin)
            if actor is not None and actor.id is not None
            else None
        )
    if actor is None or token is None:
        st.session_state[SSO_REFUSED_KEY] = email
        return None
    st.session_state[TOKEN_KEY] = token
    st.session_state[ACTOR_KEY] = actor
    st.session_state[COOKIE_KEY] = token
    return actor


def current_token() -> str | None:
    """The token of this browser's session (kept when the operator changes his password)."""
    token = st.session_state.get(TOKEN_KEY)
    return token or None


def require_actor() -> Actor:
    """The signed-in operator; pages are only reachable after login, so this stops otherwise."""
    actor: Actor | None = st.session_state.get(ACTOR_KEY)
    if actor is None:
        _back_to_the_frame()
        st.error("Sessione scaduta: accedi di nuovo.")
        st.stop()
    return actor


def _back_to_the_frame() -> None:
    """Until app.py has called st.navigation once in this server process, Streamlit treats
    the `pages/` folder the old way: the first browser to open /flusso?flusso=1 after a
    restart gets pages/flusso.py run alone, without app.py (no login, an English page list).
    Leave that mode and run again: app.py then shows the login, and after it that page."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def login_page() -> None:
    st.title("IO Flussi")
    st.caption("Invio di messaggi ai cittadini tramite App IO")
    if st.session_state.pop(ENDED_KEY, False):
        st.info("La sessione è terminata: accedi di nuovo.", icon=":material/lock_clock:")
    refused = st.session_state.get(SSO_REFUSED_KEY)
    if refused is not None:
        st.error(
            f"L'account «{refused}» non corrisponde a nessun operatore attivo di IO Flussi:"
            " chiedi a un amministratore di indicare questo indirizzo nella pagina Operatori,"
            " oppure accedi con nome utente e password."
            if refused
            else "Il fornitore di identità non ha indicato un indirizzo e-mail: accedi con"
            " nome utente e password.",
            icon=":material/person_off:",
        )
        st.button("Esci dall'account dell'ente", on_click=_forget_identity)
    elif sso.configured():
        st.button(
            "Accedi con l'account dell'ente",
            icon=":material/badge:",
            type="primary",
            on_click=sso.start,
        )
        st.caption("Oppure con nome utente e password:")
    with st.form("login"):
        username = st.text_input("Nome utente")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Accedi", type="primary")
    if submitted:
        origin = client_origin()
        current = settings()
        throttle = ThrottlePolicy.of(current.login_max_failures, current.login_lock_minutes)
        try:
            with transaction() as session:
                actor = authenticate(session, username, password, origin, throttle=throttle)
                token = (
                    open_session(session, actor.id, policy(), origin)
                    if actor is not None and actor.id is not None
                    else None
                )
        except LoginLocked as locked:
            st.error(locked.message, icon=":material/lock_clock:")
            return
        if actor is None or token is None:
            st.error("Nome utente o password non corretti, oppure utente disattivato.")
            return
        st.session_state[TOKEN_KEY] = token
        st.session_state[ACTOR_KEY] = actor
        st.session_state[COOKIE_KEY] = token
        st.rerun()  # the same address: a bookmarked page opens now


@guarded
def _forget_identity() -> None:
    st.session_state.pop(SSO_REFUSED_KEY, None)
    st.session_state.pop(SSO_TRIED_KEY, None)
    sso.end()


@guarded
def logout() -> None:
    """Button callback: the rerun that follows a callback shows the login page."""
    actor = st.session_state.pop(ACTOR_KEY, None)
    token = st.session_state.get(TOKEN_KEY)
    st.session_state[TOKEN_KEY] = ""
    with transaction() as session:
        if token:
            revoke(session, token)
        if actor is not None:
            operators.logout(session, actor)
    st.session_state[COOKIE_KEY] = ""
    st.session_state.pop(SSO_TRIED_KEY, None)
    sso.end()


def write_session_cookie() -> None:
    """Writes (or clears) the browser's session cookie when a login or a logout asked to.

    Streamlit cannot set a cookie from the server: a small script in the page does, for
    the whole site (Path=/), never sent by another site's page (SameSite=Strict), only over
    https when the page came over https (Secure)."""
    value = st.session_state.pop(COOKIE_KEY, None)
    if value is None:
        return
    max_age = settings().session_max_hours * 3600 if value else 0
    script = (
        "<script>(function(){"
        f"var v={json.dumps(value)};"
        f"var c='{COOKIE}='+encodeURIComponent(v)+'; Path=/; Max-Age={max_age}; SameSite=Strict';"
        "if(window.location.protocol==='https:'){c+='; Secure';}"
        "document.cookie=c;"
        # A different comment each time: the same script twice would not run again.
        f"}})();/*{secrets.token_hex(4)}*/</script>"
    )
    st.html(script, unsafe_allow_javascript=True, width=1)


def client_origin() -> str | None:
    """The browser's address, for the audit log, when known. Streamlit gives none for a
    connection from this machine: then, behind a reverse proxy here (docs/installation.md:
    nginx), the address the proxy added last to X-Forwarded-For, the one it saw itself (the
    ones before it are the browser's word)."""
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
