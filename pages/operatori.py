"""Operatori (administrators only): who may sign in, with which role."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.operators import (
    create_operator,
    list_operators,
    reset_password,
    set_active,
    set_email,
    set_role,
)
from appio_core.domain import ROLE_LABELS, Role
from appio_ui.attempt import attempt
from appio_ui.auth import require_actor
from appio_ui.feedback import show_flash
from appio_ui.forms import clear_form, form_key
from appio_ui.grid import selectable_grid

LABELS = {
    "username": "Utente",
    "full_name": "Nome",
    "role": "Ruolo",
    "state": "Stato",
    "email": "E-mail",
    "services": "Servizi abilitati",
}

NEW_FORM = "new_operator"

actor = require_actor()
st.title("Operatori")
show_flash()


def _rows(session: Session) -> list[dict[str, object]]:
    return [
        {
            "id": op.id,
            "username": op.username,
            "full_name": op.full_name,
            "role": ROLE_LABELS[op.role],
            "role_value": op.role.value,
            "state": "Attivo" if op.active else "Disattivato",
            "active": op.active,
            "email": op.email or "",
            "services": ", ".join(s.name for s in op.services) or "—",
        }
        for op in list_operators(session, actor)
    ]


operators = attempt(_rows)
if operators is None:
    st.stop()

# The list of services wraps; the other columns are short labels on one line.
selected = selectable_grid(
    pd.DataFrame(operators), "operators_grid", labels=LABELS, wrap={"services"}
)
chosen = next((op for op in operators if op["id"] == selected), None)
# Your own account is not offered (the core refuses deactivating yourself, and the last
# administrator's deactivation or demotion, whatever the page shows).
if chosen is not None and chosen["username"] != actor.username:
    username, active = str(chosen["username"]), bool(chosen["active"])
    c1, c2 = st.columns(2)
    label = "Disattiva" if active else "Riattiva"
    if c1.button(f"{label} «{username}»"):
        attempt(
            lambda session: set_active(session, actor, username, not active),
            success=f"Operatore «{username}» aggiornato.",
        )
    with c2.form(f"role_{username}"):
        roles = list(Role)
        role = st.selectbox(
            "Ruolo",
            roles,
            index=roles.index(Role(str(chosen["role_value"]))),
            format_func=ROLE_LABELS.__getitem__,
        )
        if st.form_submit_button("Cambia ruolo"):
            attempt(
                lambda session: set_role(session, actor, username, role.value),
                success=f"Operatore «{username}»: ruolo {ROLE_LABELS[role]}.",
            )
    with st.form(f"email_{username}"):
        email = st.text_input(
            "E-mail per l'accesso con l'account dell'ente (single sign-on)",
            value=str(chosen["email"]),
            help="L'indirizzo che il fornitore di identità indica per questo operatore."
            " Vuoto: solo nome utente e password.",
        )
        if st.form_submit_button("Salva e-mail"):
            attempt(
                lambda session: set_email(session, actor, username, email),
                success=f"Operatore «{username}»: e-mail aggiornata.",
            )
    with st.form(f"reset_{username}", clear_on_submit=True):
        st.markdown(f"**Reimposta la password di «{username}»**")
        st.caption(
            "Per chi l'ha dimenticata o teme che altri la conoscano: le sue sessioni aperte"
            " vengono chiuse. Comunicagli la nuova password di persona."
        )
        new_password = st.text_input("Nuova password", type="password")
        if st.form_submit_button("Reimposta password"):
            attempt(
                lambda session: reset_password(session, actor, username, new_password),
                success=f"Password di «{username}» reimpostata: le sue sessioni sono chiuse.",
            )

with st.expander("Nuovo operatore", icon=":material/person_add:"):
    # Not cleared on submit: after «Password troppo corta» the rest is still there.
    with st.form(form_key(NEW_FORM), clear_on_submit=False):
        new_username = st.text_input("Nome utente")
        full_name = st.text_input("Nome e cognome")
        new_role = st.selectbox("Ruolo", list(Role), index=1, format_func=ROLE_LABELS.__getitem__)
        password = st.text_input("Password iniziale", type="password")
        submitted = st.form_submit_button("Aggiungi operatore", type="primary")
    if submitted:

        def create(session: Session) -> None:
            create_operator(
                session, actor, new_username, password, new_role or Role.OPERATOR, full_name
            )
            clear_form(NEW_FORM)  # reached only when saved

        attempt(create, success=f"Operatore «{new_username.strip().lower()}» aggiunto.")
