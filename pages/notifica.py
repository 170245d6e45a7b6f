"""Dettaglio notifica: one message, reachable by double click and by its link (?notifica=ID)."""

from __future__ import annotations

import streamlit as st

from appio_core.errors import AppError
from appio_core.italian import local_time
from appio_core.notifications.detail import get_detail
from appio_core.templates.store import notification_as_template
from appio_ui.auth import requested_id, require_actor
from appio_ui.corrections import (
    correction_result,
    notification_correction_section,
    notification_links,
)
from appio_ui.feedback import show_flash
from appio_ui.links import share_link
from appio_ui.notification_view import show_detail
from appio_ui.reads import first_showing
from appio_ui.runtime import transaction
from appio_ui.template_use import save_as_template, used_caption

actor = require_actor()
notification_id = requested_id("notifica", "notification_id")
if notification_id is None:
    st.info("Scegli una notifica dall'archivio.")
    st.page_link("pages/notifiche.py", label="Vai alle Notifiche", icon=":material/inbox:")
    st.stop()

opening = first_showing("notifica", notification_id)  # a rerun is not a new reading
try:
    with transaction() as session:
        detail = get_detail(session, actor, notification_id, record=opening)
except AppError as exc:
    st.error(exc.message)
    st.stop()

st.title(f"Notifica n. {detail.id}")
show_flash()
st.caption(
    f"Servizio **{detail.service_name}** · "
    + (
        f"Flusso n. {detail.flow_id} «{detail.flow_name}», riga {detail.row_number}"
        if detail.flow_id
        else "Notifica singola"
    )
    + f" · Creata da {detail.created_by} il {local_time(detail.created_at)}"
)
if detail.flow_id is not None:
    st.page_link(
        "pages/flusso.py",
        label=f"Vai al flusso n. {detail.flow_id}",
        icon=":material/list:",
        query_params={"flusso": str(detail.flow_id)},
    )
used_caption(detail.template)
share_link("notifica", "notifica", detail.id)
correction_result(detail)
notification_links(detail)
show_detail(actor, detail)
if actor.can_send and detail.is_single and not detail.purged:
    save_as_template(
        f"notification_template_{detail.id}",
        lambda session, name, natura: notification_as_template(
            session, actor, detail.id, name, natura
        ),
    )
notification_correction_section(actor, detail)
