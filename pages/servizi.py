"""Servizi: the IO services, their (masked) keys and the operators enabled on each; for
administrators, «Rigenera chiavi» and the ente's manage key of IO's management API."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.connection_check import run_connection_check
from appio_core.accounts.operators import list_operators
from appio_core.accounts.services import (
    ServiceView,
    create_service,
    list_services,
    set_approval_policy,
    set_enabled_operators,
    update_service,
)
from appio_core.italian import euro
from appio_ui.attempt import attempt
from appio_ui.auth import require_actor
from appio_ui.feedback import show_flash
from appio_ui.forms import clear_form, form_key
from appio_ui.grid import selectable_grid
from appio_ui.io_manage import (
    IMPORT_PAGE,
    current_manage_key,
    manage_key_section,
    regenerate_section,
)
from appio_ui.runtime import keybox, settings, transaction
from appio_ui.service_form import ServiceFormResult, service_form

LABELS = {
    "name": "Servizio",
    "io_service_id": "ID servizio IO",
    "organization_name": "Ente",
    "account": "Account IO",
    "primary_key": "Chiave primaria",
    "secondary_key": "Chiave secondaria",
    "max_payment": "Importo massimo",
    "state": "Stato",
    "operators_list": "Operatori abilitati",
    "approval": "Approvazione dei flussi",
}
NEW_FORM = "new_service"


def _connection_check(service_id: int, name: str) -> None:
    if not st.button(f"Verifica connessione di «{name}»", icon=":material/network_check:"):
        return
    with st.spinner("Profilo del cittadino di prova AAAAAA00A00A000A..."):
        check = attempt(
            lambda session: run_connection_check(session, actor, service_id, keybox(), settings())
        )
    if check is not None:
        (st.success if check.ok else st.error)(check.message)


def _edit(chosen: ServiceView) -> None:
    st.subheader(f"Modifica «{chosen.name}»")
    result = service_form(chosen, usernames, key=f"edit_{chosen.id}")
    if result is None:
        return

    def save(session: Session) -> None:
        update_service(session, actor, chosen.id, result.data, keybox())
        set_enabled_operators(session, actor, chosen.id, result.operators)
        set_approval_policy(session, actor, chosen.id, result.approval, result.threshold)

    attempt(save, success=f"Servizio «{result.data.name}» aggiornato.")


def _add(result: ServiceFormResult) -> None:
    def add(session: Session) -> None:
        created = create_service(session, actor, result.data, keybox())
        set_enabled_operators(session, actor, created.id, result.operators)
        set_approval_policy(session, actor, created.id, result.approval, result.threshold)
        clear_form(NEW_FORM)  # reached only when saved: a refusal keeps what was typed

    attempt(add, success=f"Servizio «{result.data.name}» aggiunto.")


actor = require_actor()
st.title("Servizi")
show_flash()

with transaction() as session:
    services = list_services(session, actor)
    usernames = [op.username for op in list_operators(session, actor)] if actor.is_admin else []
manage_key = current_manage_key() if actor.is_admin else None

if not services:
    st.info(
        "Nessun servizio configurato."
        + (" Aggiungine uno qui sotto." if actor.is_admin else " Chiedi a un amministratore.")
    )
else:
    frame = pd.DataFrame(
        {
            "id": [s.id for s in services],
            "name": [s.name for s in services],
            "io_service_id": [s.io_service_id for s in services],
            "organization_name": [s.organization_name for s in services],
            "account": [s.account for s in services],
            "primary_key": [s.primary_key for s in services],
            "secondary_key": [s.secondary_key or "—" for s in services],
            "max_payment": [euro(s.max_payment_amount) for s in services],
            "state": ["Attivo" if s.active else "Disattivato" for s in services],
            "operators_list": [", ".join(s.operators) or "—" for s in services],
            "approval": [s.approval for s in services],
        }
    )
    # The list of operators wraps; the other columns are short labels on one line.
    selected = selectable_grid(frame, "services_grid", labels=LABELS, wrap={"operators_list"})
    chosen = next((s for s in services if s.id == selected), None)
    if chosen is None:
        st.caption("Seleziona un servizio per vederne il dettaglio o modificarlo.")
    else:
        _connection_check(chosen.id, chosen.name)
        if actor.is_admin:
            regenerate_section(actor, chosen, manage_key is not None)
            _edit(chosen)
        else:
            st.subheader(chosen.name)
            st.write(f"Operatori abilitati: {', '.join(chosen.operators) or '—'}")
            st.write(f"Approvazione dei flussi: {chosen.approval}.")


if actor.is_admin:
    with st.expander("Nuovo servizio", icon=":material/add:", expanded=not services):
        new = service_form(None, usernames, key=form_key(NEW_FORM))
        if new is not None:
            _add(new)
    with st.expander("Chiave di gestione IO", icon=":material/admin_panel_settings:"):
        manage_key_section(actor, manage_key)
    st.page_link(IMPORT_PAGE, label="Importa da IO i servizi dell'ente", icon=":material/download:")
