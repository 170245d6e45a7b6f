"""IO Flussi, the Streamlit frame: page config, login gate, navigation built from the role."""

from __future__ import annotations

import streamlit as st

from appio_core.domain import ROLE_LABELS
from appio_ui.auth import current_actor, login_page, logout
from appio_ui.runtime import check_settings, ensure_background_worker

st.set_page_config(page_title="IO Flussi", page_icon=":material/send:", layout="wide")
check_settings()

actor = current_actor()
if actor is None:
    st.navigation([st.Page(login_page, title="Accesso", icon=":material/login:")]).run()
    st.stop()

flows = [
    st.Page("pages/flussi.py", title="Flussi", icon=":material/list:", default=True),
    st.Page("pages/flusso.py", title="Dettaglio flusso", url_path="flusso", visibility="hidden"),
]
notifications = [
    st.Page("pages/notifiche.py", title="Notifiche", icon=":material/inbox:"),
    st.Page(
        "pages/notifica.py", title="Dettaglio notifica", url_path="notifica", visibility="hidden"
    ),
]
if actor.can_send:
    flows.append(st.Page("pages/nuovo_flusso.py", title="Nuovo flusso", icon=":material/add:"))
    notifications.append(
        st.Page("pages/nuova_notifica.py", title="Nuova notifica", icon=":material/edit_note:")
    )
configuration = [st.Page("pages/servizi.py", title="Servizi", icon=":material/key:")]
if actor.is_admin:
    configuration.append(st.Page("pages/operatori.py", title="Operatori", icon=":material/group:"))
    configuration.append(
        st.Page("pages/registro.py", title="Registro attività", icon=":material/history:")
    )
    configuration.append(
        st.Page("pages/sistema.py", title="Stato del sistema", icon=":material/monitor_heart:")
    )

with st.sidebar:
    st.markdown(f"**{actor.full_name or actor.username}**  \n{ROLE_LABELS[actor.role]}")
    st.button("Esci", icon=":material/logout:", on_click=logout)

ensure_background_worker()
st.navigation({"Flussi": flows, "Notifiche": notifications, "Configurazione": configuration}).run()
