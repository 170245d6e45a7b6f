"""Nuova notifica («Nuovo»): one message to one citizen, sent at once on «Aggiungi»."""

from __future__ import annotations

import streamlit as st

from appio_core.accounts.services import sendable_services
from appio_ui.auth import require_actor
from appio_ui.notification_form import composer
from appio_ui.runtime import transaction

actor = require_actor()
st.title("Nuova notifica")
st.caption(
    "Il messaggio parte appena premi «Aggiungi» e non si può ritirare: controlla l'anteprima."
)
with transaction() as session:
    services = {s.name: s.id for s in sendable_services(session, actor)}
if not services:
    st.info("Nessun servizio attivo su cui puoi inviare: chiedi a un amministratore.")
    st.stop()
composer(actor, services)
