"""Importa da IO (administrators): the ente's services on IO, and the import of those chosen
with their keys, through IO's management API."""

from __future__ import annotations

import streamlit as st

from appio_ui.auth import require_actor
from appio_ui.feedback import show_flash
from appio_ui.io_manage import current_manage_key, import_form, listing, show_listing

actor = require_actor()
st.title("Importa da IO")
show_flash()
if not actor.is_admin:
    st.error("Solo un amministratore può importare i servizi da IO.")
    st.stop()
if current_manage_key() is None:
    st.info(
        "Per leggere da IO i servizi dell'ente serve la sua chiave di gestione (manage):"
        " inseriscila nella pagina Servizi, in «Chiave di gestione IO» (la trovi nell'Area"
        " riservata di IO, sezione Chiavi API). Senza, i servizi si aggiungono a mano.",
        icon=":material/key_off:",
    )
    st.page_link("pages/servizi.py", label="Vai ai servizi", icon=":material/key:")
    st.stop()
st.caption(
    "I servizi dell'ente su IO, letti con la chiave di gestione. Quelli già in IO Flussi"
    " (stesso identificativo IO) restano come sono."
)
refresh = st.button("Aggiorna elenco", icon=":material/refresh:")
rows = listing(actor, refresh)
if rows is not None:
    show_listing(rows)
    import_form(actor, rows)
