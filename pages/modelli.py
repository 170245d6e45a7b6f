"""Modelli: saved templates of the operator's services; a save is a new version."""

from __future__ import annotations

import streamlit as st

from appio_core.accounts.services import sendable_services
from appio_core.templates.queries import list_templates
from appio_ui.auth import require_actor
from appio_ui.feedback import show_flash
from appio_ui.runtime import transaction
from appio_ui.templates_view import choose, chosen_view, editor, templates_table, versions

actor = require_actor()
st.title("Modelli")
st.caption(
    "Oggetto e testo con i segnaposto {{colonna}}, pronti per «Nuovo flusso» e «Nuova"
    " notifica». Ogni modifica salva una nuova versione: le precedenti restano leggibili."
)
show_flash()
with transaction() as session:
    services = {s.name: s.id for s in sendable_services(session, actor)}
    found = list_templates(session, actor)
if not services:
    st.info("Nessun servizio attivo su cui puoi inviare: chiedi a un amministratore.")
    st.stop()
templates_table(found)
template_id = choose([t for t in found if t.service_id in services.values()])
current = chosen_view(actor, template_id)
editor(actor, services, current)
if current is not None:
    versions(actor, current.template_id)
