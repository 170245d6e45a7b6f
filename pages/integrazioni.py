"""Integrazioni (administrators only): the API's keys for the comune's other systems."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.services import list_services
from appio_core.integrations.keys import IntegrationView, list_integrations
from appio_ui.attempt import attempt
from appio_ui.auth import require_actor
from appio_ui.feedback import show_flash
from appio_ui.integrations_view import (
    delivery_log,
    integrations_table,
    new_integration_form,
    revoke_button,
    show_created_once,
)

actor = require_actor()
st.title("Integrazioni")
if not actor.is_admin:
    st.error("Solo un amministratore può gestire le integrazioni.")
    st.stop()
st.caption(
    "I sistemi del comune (tributi, anagrafe, mensa, protocollo…) che inviano notifiche e"
    " flussi attraverso l'API di IO Flussi, ciascuno con la sua chiave, i suoi servizi e i"
    " suoi permessi. Istruzioni per chi li collega: docs/integrations.md."
)
show_flash()
show_created_once()


def _read(session: Session) -> tuple[list[IntegrationView], dict[str, int]]:
    services = {s.name: s.id for s in list_services(session, actor)}
    return list_integrations(session, actor), services


found = attempt(_read)  # refused if the role changed since the login
if found is None:
    st.stop()
rows, services = found
chosen = integrations_table(rows)
if chosen is not None:
    revoke_button(actor, chosen)
    delivery_log(actor, chosen)
new_integration_form(actor, services, expanded=not rows)
