"""Operatori (administrators only): who may sign in, with which role."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from appio_core.accounts.operators import create_operator, list_operators, set_active
from appio_core.domain import Role
from appio_core.errors import AppError
from appio_ui.auth import require_actor
from appio_ui.feedback import flash_and_rerun, show_flash
from appio_ui.grid import selectable_grid
from appio_ui.runtime import transaction

LABELS = {
    "username": "Utente",
    "full_name": "Nome",
    "role": "Ruolo",
    "state": "Stato",
    "services": "Servizi abilitati",
}

actor = require_actor()
st.title("Operatori")
show_flash()

try:
    with transaction() as session:
        operators = [
            {
                "id": op.id,
                "username": op.username,
                "full_name": op.full_name,
                "role": op.role,
                "state": "Attivo" if op.active else "Disattivato",
                "active": op.active,
                "services": ", ".join(s.name for s in op.services) or "—",
            }
            for op in list_operators(session, actor)
        ]
except AppError as exc:
    st.error(exc.message)
    st.stop()

selected = selectable_grid(pd.DataFrame(operators), "operators_grid", labels=LABELS)
chosen = next((op for op in operators if op["id"] == selected), None)
if chosen is not None and chosen["username"] != actor.username:
    label = "Disattiva" if chosen["active"] else "Riattiva"
    if st.button(f"{label} «{chosen['username']}»"):
        with transaction() as session:
            set_active(session, actor, str(chosen["username"]), not chosen["active"])
        flash_and_rerun(f"Operatore «{chosen['username']}» aggiornato.")

with st.expander("Nuovo operatore", icon=":material/person_add:"):
    with st.form("new_operator", clear_on_submit=True):
        username = st.text_input("Nome utente")
        full_name = st.text_input("Nome e cognome")
        role = st.selectbox("Ruolo", [r.value for r in Role], index=1)
        password = st.text_input("Password iniziale", type="password")
        submitted = st.form_submit_button("Aggiungi operatore", type="primary")
    if submitted:
        try:
            with transaction() as session:
                create_operator(session, actor, username, password, role, full_name)
        except AppError as exc:
            st.error(exc.message)
        else:
            flash_and_rerun(f"Operatore «{username.strip().lower()}» aggiunto.")
