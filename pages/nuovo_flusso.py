"""Nuovo flusso: upload a recipient file, check it row by row, preview it, create the flow."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.services import sendable_services
from appio_core.errors import AppError
from appio_core.flows.confirmations import ConfirmationNeeded
from appio_core.flows.importing import FlowFileRefused, check_flow_file, import_flow
from appio_core.italian import counted
from appio_core.recipient_file.report import ValidationReport
from appio_core.templates.use import TemplateRef
from appio_ui.attempt import attempt, show_refusal
from appio_ui.auth import require_actor
from appio_ui.flow_check import checked_sections, remember_report
from appio_ui.flow_form import FlowRequest, ask_confirmation, fill_from_template, flow_form
from appio_ui.flow_template import applied_template
from appio_ui.runtime import transaction
from appio_ui.template_use import chosen_template, template_picker

actor = require_actor()
st.title("Nuovo flusso")

with transaction() as session:
    services = {s.name: s.id for s in sendable_services(session, actor)}
if not services:
    st.info("Nessun servizio attivo a cui sei abilitato: chiedi a un amministratore.")
    st.stop()


def _refused(error: AppError) -> None:
    if isinstance(error, FlowFileRefused):
        st.error("Il flusso non è stato creato: correggi il file e caricalo di nuovo.")
        remember_report(error.report)  # shown below, with the rest of the check
    elif isinstance(error, ConfirmationNeeded):
        ask_confirmation(error.message)  # asked above the buttons
        st.rerun()
    else:
        show_refusal(error)


def _pick(service: str) -> TemplateRef | None:
    template_picker(actor, services[service], "nf_", fill_from_template)
    return chosen_template("nf_", services[service])


def _check(request: FlowRequest) -> None:
    def check(session: Session) -> ValidationReport:
        applied = applied_template(session, actor, request)
        return check_flow_file(
            session,
            actor,
            services[applied.service],
            applied.content,
            applied.filename,
            applied.templates,
            applied.natura,
            applied.options.buttons,
        )

    report = attempt(check)
    if report is not None:
        remember_report(report)  # shown below, and kept while the same file is chosen


def _create(request: FlowRequest) -> None:
    def create(session: Session) -> tuple[int, int]:
        applied = applied_template(session, actor, request)
        flow = import_flow(
            session,
            actor,
            service_id=services[applied.service],
            name=applied.name,
            natura=applied.natura,
            source=applied.content,
            filename=applied.filename,
            templates=applied.templates,
            options=applied.options,
            force=applied.force,
        )
        return flow.id, flow.recipients_total

    def created(made: tuple[int, int]) -> str:
        st.session_state["flow_id"] = made[0]
        recipients = counted(made[1], "destinatario", "destinatari")
        return f"Flusso n. {made[0]} creato con {recipients} (Inattivo)."

    attempt(create, success=created, switch_to="pages/flusso.py", refused=_refused)


request = flow_form(list(services), _pick)
if request is not None:
    (_create if request.create else _check)(request)
checked_sections(actor, services[st.session_state["nf_service"]])
