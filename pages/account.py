"""Il mio account (every operator): who you are, and changing your own password."""

from __future__ import annotations

import streamlit as st

from appio_core.accounts.operators import change_own_password
from appio_core.accounts.passwords import MIN_PASSWORD_LENGTH
from appio_core.domain import ROLE_LABELS
from appio_ui.attempt import attempt
from appio_ui.auth import current_token, require_actor
from appio_ui.feedback import show_flash

actor = require_actor()
st.title("Il mio account")
show_flash()
st.markdown(
    f"**{actor.full_name or actor.username}** — utente «{actor.username}», profilo"
    f" {ROLE_LABELS[actor.role]}."
)

st.subheader("Cambia la password")
st.caption(
    f"Almeno {MIN_PASSWORD_LENGTH} caratteri, non tra le password più comuni e senza il nome"
    " utente: una frase di alcune parole va bene. Le tue sessioni su altri browser vengono"
    " chiuse."
)
with st.form("own_password", clear_on_submit=True):
    current = st.text_input("Password attuale", type="password")
    new = st.text_input("Nuova password", type="password")
    again = st.text_input("Ripeti la nuova password", type="password")
    submitted = st.form_submit_button("Cambia password", type="primary")
if submitted:
    if new != again:
        st.error("Le due nuove password non coincidono: scrivile di nuovo.")
    else:
        attempt(
            lambda session: change_own_password(session, actor, current, new, current_token()),
            success="Password cambiata.",
        )
