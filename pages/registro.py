"""Registro attività (administrators): who did what, on what, when, from where («Elenca»)."""

from __future__ import annotations

import streamlit as st

from appio_core.accounts.audit_log import AuditFilters
from appio_ui.audit_table import FILTERS_KEY, audit_filters, audit_table, show_audit
from appio_ui.auth import require_actor
from appio_ui.exports import audit_download

actor = require_actor()
st.title("Registro attività")
if not actor.is_admin:
    st.error("Solo un amministratore può consultare il registro attività.")
    st.stop()
st.caption(
    "Accessi, modifiche a operatori e servizi, azioni sui flussi, invii singoli, esportazioni,"
    " consultazioni e rimozioni dei dati personali. Le voci non si possono modificare né"
    " cancellare; il codice fiscale di una voce diventa uno pseudonimo dopo il periodo di"
    " conservazione."
)

chosen = audit_filters()
table = audit_table(actor)
if chosen is not None:
    st.session_state[FILTERS_KEY] = chosen
    table.reset()
filters: AuditFilters = st.session_state.get(FILTERS_KEY, AuditFilters())
show_audit(actor, filters, table, footer=lambda: audit_download(actor, filters))
