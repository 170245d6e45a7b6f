"""«Modifica» on a flow in preparation: name, description, natura, templates, buttons and
«canale sicuro», and the file."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.domain import FlowState, Natura
from appio_core.errors import AppError
from appio_core.flows.editing import FlowChanges, edit_flow
from appio_core.flows.fields import NAME_LENGTH, is_editable
from appio_core.flows.importing import FlowFileRefused, replace_file
from appio_core.flows.queries import FlowView
from appio_core.recipient_file.report import ValidationReport
from appio_ui import cta_fields
from appio_ui.attempt import attempt, show_refusal
from appio_ui.feedback import flash_and_rerun
from appio_ui.flow_form import TEMPLATE_HELP
from appio_ui.report_view import show_report

WITHDRAWN = " La richiesta di approvazione è ritirata: il flusso è di nuovo «Inattivo»."


def _report_key(flow_id: int) -> str:
    return f"replaced_report_{flow_id}"


def _withdrawn(view: FlowView) -> str:
    """What a saved change adds to its message on a flow waiting for approval."""
    return WITHDRAWN if view.state == FlowState.AWAITING_APPROVAL else ""


def edit_section(actor: Actor, view: FlowView) -> None:
    """Only for an «Inattivo» flow and an operator who may send on its service."""
    if not actor.can_send or not is_editable(view.state):
        return
    replaced: ValidationReport | None = st.session_state.pop(_report_key(view.id), None)
    # Keyed, so that it stays open across the reruns of the widgets inside it (an upload).
    with st.expander(
        "Modifica", icon=":material/edit:", expanded=replaced is not None, key=f"edit_{view.id}"
    ):
        if view.state == FlowState.AWAITING_APPROVAL:
            st.warning(
                "Il flusso attende l'approvazione di un altro operatore: una modifica ritira la"
                " richiesta e lo riporta «Inattivo»."
            )
        _details_form(actor, view)
        _file_replacement(actor, view, replaced)


def _details_form(actor: Actor, view: FlowView) -> None:
    natures = [n.value for n in Natura]
    with st.form(f"edit_flow_{view.id}"):
        name = st.text_input("Nome del flusso", value=view.name, max_chars=NAME_LENGTH)
        description = st.text_area("Descrizione", value=view.description, height=68)
        natura = st.selectbox(
            "Natura", natures, index=natures.index(view.natura) if view.natura in natures else 0
        )
        subject = st.text_input(
            "Oggetto (modello)",
            value=view.subject_template or "",
            help=TEMPLATE_HELP + " Vuoto: resta l'oggetto attuale.",
        )
        text = st.text_area(
            "Contenuto del messaggio (modello, Markdown)",
            value=view.text_template or "",
            help=TEMPLATE_HELP + " Vuoto: resta il testo attuale.",
            height=150,
        )
        prefix = f"ef{view.id}_"
        cta_fields.message_options(
            prefix, buttons=view.buttons, secure=view.secure_channel, boxed=False
        )
        saved = st.form_submit_button("Salva le modifiche", icon=":material/save:")
    if not saved:
        return
    buttons, buttons_error = cta_fields.checked_buttons(prefix)
    if buttons_error:
        st.error(buttons_error, icon=":material/error:")
        return
    changes = FlowChanges(
        name=name,
        description=description,
        natura=natura,
        subject_template=subject if subject.strip() else None,
        text_template=text if text.strip() else None,
        buttons=buttons,
        secure_channel=cta_fields.secure_channel(prefix),
    )
    attempt(
        lambda session: FlowState(edit_flow(session, actor, view.id, changes).state),
        success=lambda state: (
            "Flusso modificato." + (_withdrawn(view) if state == FlowState.INACTIVE else "")
        ),
    )


def _file_replacement(actor: Actor, view: FlowView, replaced: ValidationReport | None) -> None:
    st.markdown("**Sostituisci il file dei destinatari**")
    if replaced is not None:
        show_report(replaced)
    upload = st.file_uploader(
        "Nuovo file (.xlsx o .csv)", type=["xlsx", "csv"], key=f"replace_upload_{view.id}"
    )
    st.caption(
        "Il nuovo file passa per gli stessi controlli, con i modelli del flusso: i destinatari"
        " attuali sono sostituiti solo se non ha errori."
    )
    if not st.button("Sostituisci il file", icon=":material/upload_file:", key="replace_file"):
        return
    if upload is None:
        st.error("Scegli il nuovo file dei destinatari.")
        return
    content, filename = upload.getvalue(), upload.name

    def refused(error: AppError) -> None:
        if isinstance(error, FlowFileRefused):
            st.error("Il file non è stato sostituito: correggi il file e caricalo di nuovo.")
            show_report(error.report)
        else:
            show_refusal(error)

    def replace(session: Session) -> tuple[int, ValidationReport]:
        flow, report = replace_file(session, actor, view.id, content, filename)
        return flow.recipients_total, report

    done = attempt(replace, refused=refused)
    if done is not None:
        total, report = done
        st.session_state[_report_key(view.id)] = report
        flash_and_rerun(
            f"File sostituito: il flusso ha ora {total} destinatari." + _withdrawn(view)
        )
