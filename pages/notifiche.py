"""Notifiche: the archive of every message sent, flows' and single ones («Elenca»)."""

from __future__ import annotations

import streamlit as st

from appio_core.accounts.services import list_services
from appio_core.notifications.archive import NotificationFilters
from appio_ui.auth import require_actor
from appio_ui.exports import notifications_download
from appio_ui.feedback import show_flash
from appio_ui.notification_filters import FILTERS_KEY, notification_filters
from appio_ui.notification_form import new_message
from appio_ui.notifications_table import ARCHIVE, show_notifications
from appio_ui.runtime import transaction

actor = require_actor()
st.title("Notifiche")
show_flash()
if actor.can_send and st.button("Nuovo", type="primary", icon=":material/add:"):
    new_message()  # an empty form, not the last message's outcome
    st.switch_page("pages/nuova_notifica.py")

with transaction() as session:
    services = {s.name: s.id for s in list_services(session, actor)}
chosen = notification_filters(services)
if chosen is not None:
    st.session_state[FILTERS_KEY] = chosen
    ARCHIVE.reset()
filters: NotificationFilters = st.session_state.get(FILTERS_KEY, NotificationFilters())

show_notifications(
    actor,
    filters,
    ARCHIVE,
    footer=lambda: notifications_download(actor, filters),
    shown_on="notifiche",
)
