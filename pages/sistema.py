"""Stato del sistema (administrators): workers, account leases, queues and IO's limits."""

from __future__ import annotations

import streamlit as st

from appio_ui.auth import require_actor
from appio_ui.system_view import show_system_status

actor = require_actor()
st.title("Stato del sistema")
if not actor.is_admin:
    st.error("Solo un amministratore può vedere lo stato del sistema.")
    st.stop()
st.button("Aggiorna", icon=":material/refresh:")
show_system_status(actor)
