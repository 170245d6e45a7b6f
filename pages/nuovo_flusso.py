"""Nuovo flusso: upload a recipient file, check it row by row, create the flow."""

from __future__ import annotations

import streamlit as st

from appio_core.accounts.services import list_services
from appio_core.errors import AppError
from appio_core.flows.importing import FlowFileRefused, check_flow_file, import_flow
from appio_ui.auth import require_actor
from appio_ui.feedback import flash_and_switch
from appio_ui.flow_form import flow_form
from appio_ui.report_view import show_report
from appio_ui.runtime import transaction

actor = require_actor()
st.title("Nuovo flusso")

with transaction() as session:
    services = {s.name: s.id for s in list_services(session, actor) if s.active}
if not services:
    st.info("Nessun servizio attivo a cui sei abilitato: chiedi a un amministratore.")
    st.stop()

request = flow_form(list(services))
if request is not None:
    service_id = services[request.service]
    try:
        with transaction() as session:
            if not request.create:
                show_report(
                    check_flow_file(
                        session,
                        actor,
                        service_id,
                        request.content,
                        request.filename,
                        request.templates,
                    )
                )
                st.stop()
            flow = import_flow(
                session,
                actor,
                service_id=service_id,
                name=request.name,
                natura=request.natura,
                source=request.content,
                filename=request.filename,
                templates=request.templates,
                options=request.options,
            )
            flow_id, total = flow.id, flow.recipients_total
    except FlowFileRefused as refused:
        st.error("Il flusso non è stato creato: correggi il file e caricalo di nuovo.")
        show_report(refused.report)
    except AppError as exc:
        st.error(exc.message)
    else:
        st.session_state["flow_id"] = flow_id
        flash_and_switch(
            f"Flusso n. {flow_id} creato con {total} destinatari (Inattivo).", "pages/flusso.py"
        )
