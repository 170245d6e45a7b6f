"""The boundary with Streamlit's single sign-on (st.login, OpenID Connect).

Configured by an [auth] section of .streamlit/secrets.toml (see docs/security.md, «Sessioni e
accesso»); without it the login shows only the username and password. Tests replace
these functions: the identity provider is outside the app."""

from __future__ import annotations

import streamlit as st


def configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


def identity_email() -> str | None:
    """The e-mail claim of the identity the provider vouched for, when there is one."""
    if not st.user.is_logged_in:
        return None
    email = st.user.get("email")
    return email if isinstance(email, str) else ""


def start() -> None:
    """Sends the browser to the identity provider; it comes back signed in there."""
    st.login()


def end() -> None:
    """Forgets the provider's identity in this browser (Streamlit's own cookie)."""
    if configured() and st.user.is_logged_in:
        st.logout()
