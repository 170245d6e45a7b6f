"""«Da approvare»: the waiting flows, and one of them with everything needed to judge it
(the file and its checksum, the «Verifica file» report, the counts, any row's message, who
asked), «Approva» and «Respingi». What a flow's own page says about its approval."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.domain import FlowState
from appio_core.flows.actions import Done, perform
from appio_core.flows.approval import FileReport, Pending, Review, review, row_message
from appio_core.flows.queries import FlowView
from appio_core.flows.registry import BY_NAME, FlowAction
from appio_core.italian import euro, local_time, thousands
from appio_core.notifications.labels import FEATURE_LEVEL_LABELS
from appio_ui.attempt import attempt
from appio_ui.message_preview import message_preview
from appio_ui.report_view import plain

PAGE = "pages/da_approvare.py"
CHOSEN_KEY = "approval_flow_id"  # the flow «Da approvare» opens (set by a flow's page)
_CHOICE = "approval_choice"


def pending_table(pending: list[Pending]) -> None:
    frame = pd.DataFrame(
        {
            "N.": [p.view.id for p in pending],
            "Flusso": [p.view.name for p in pending],
            "Servizio": [p.view.service_name for p in pending],
            "Destinatari": [thousands(p.view.recipients_total) for p in pending],
            "Chiesta da": [p.view.approval_requested_by or "" for p in pending],
            "Il": [local_time(p.view.approval_requested_at) for p in pending],
            "Puoi decidere": ["sì" if p.may_decide else "no" for p in pending],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch")


def choose(pending: list[Pending]) -> int:
    """The flow to examine: the one a flow's page sent the operator to, else the one he
    chose before, else the link's (?flusso=12), else the oldest request."""
    ids = [p.view.id for p in pending]
    names = {p.view.id: f"n. {p.view.id} – {p.view.name}" for p in pending}
    linked = st.session_state.pop(CHOSEN_KEY, None)
    if linked in ids:
        st.session_state[_CHOICE] = linked
    elif st.session_state.get(_CHOICE) not in ids:
        raw = st.query_params.get("flusso", "")
        from_link = int(raw) if raw.isdigit() else None
        st.session_state[_CHOICE] = from_link if from_link in ids else ids[0]
    chosen: int = st.selectbox(
        "Flusso da esaminare", ids, format_func=names.__getitem__, key=_CHOICE
    )
    st.query_params["flusso"] = str(chosen)  # the address can be shared
    return chosen


def review_section(actor: Actor, flow_id: int) -> None:
    found = attempt(lambda session: review(session, actor, flow_id))
    if found is None:
        return
    seen: Review = found
    view = seen.view
    st.subheader(f"Flusso n. {view.id} – {view.name}")
    st.caption(
        f"Servizio **{view.service_name}** · Natura **{view.natura}** · Approvazione chiesta"
        f" da **{view.approval_requested_by}** il {local_time(view.approval_requested_at)} ·"
        f" Preparato da {view.created_by}"
    )
    st.markdown(f"File **{plain(view.source_filename)}** · SHA-256 `{seen.checksum}`")
    if view.description:
        st.write(view.description)
    figures = view.progress
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Destinatari", thousands(figures.total))
    c2.metric("Da inviare", thousands(figures.waiting))
    c3.metric("Tipo di messaggio", FEATURE_LEVEL_LABELS[view.feature_level])
    c4.metric("Verifica profilo", "sì" if view.check_profile else "no")
    if view.scheduled_at:
        st.info(
            f"Invio programmato per il {local_time(view.scheduled_at)}: approvato, parte allora."
        )
    st.markdown("**Verifica file**")
    show_file_report(seen.report)
    st.markdown("**Anteprima**")
    _row_preview(actor, seen)
    if seen.may_decide:
        _decision(actor, view)
    else:
        st.info(seen.why_not, icon=":material/info:")


def show_file_report(report: FileReport | None) -> None:
    if report is None:
        st.caption("Il rapporto della verifica non è disponibile per questo flusso.")
        return
    st.success(f"File valido. {report.summary}")
    for warning in report.file_warnings:
        st.warning(warning)
    for note in report.notes:
        st.info(note)
    if report.columns:
        st.caption(f"Colonne (intestazione alla riga {report.header_row}):")
        st.markdown("\n".join(f"- {plain(line)}" for line in report.columns))
    if report.warnings:
        st.markdown("Avvisi (non bloccano l'invio)")
        frame = pd.DataFrame(
            {
                "Riga": [str(w["row"]) for w in report.warnings],
                "Colonna": [plain(str(w["column"])) for w in report.warnings],
                "Valore": [plain(str(w["value"])) for w in report.warnings],
                "Avviso": [plain(str(w["message"])) for w in report.warnings],
            }
        )
        st.table(frame, hide_index=True)
        if report.warnings_total > len(report.warnings):
            st.caption(
                f"Mostrati i primi {len(report.warnings)} avvisi su"
                f" {thousands(report.warnings_total)}."
            )


def _row_preview(actor: Actor, seen: Review) -> None:
    if seen.first_row is None or seen.last_row is None:
        st.caption("Il flusso non ha destinatari.")
        return
    row = int(
        st.number_input(
            f"Riga del file (dalla {seen.first_row} alla {seen.last_row})",
            min_value=seen.first_row,
            max_value=seen.last_row,
            value=seen.first_row,
            step=1,
            key=f"approval_row_{seen.view.id}",
        )
    )
    found = attempt(lambda session: row_message(session, actor, seen.view.id, row))
    if found is None:
        return
    parts = [f"Codice fiscale {found.fiscal_code}"]
    if found.amount is not None:
        parts.append(f"importo {euro(found.amount)}")
    if found.notice_number:
        parts.append(f"avviso {found.notice_number}")
    if found.due_date:
        parts.append(f"scadenza {found.due_date[:10]}")
    st.caption(" · ".join(parts))
    message_preview(found.subject, found.markdown)


def _decision(actor: Actor, view: FlowView) -> None:
    note = st.text_area(
        "Nota per l'autore",
        key=f"approval_note_{view.id}",
        help="Obbligatoria per «Respingi»: l'autore la legge sul flusso.",
        max_chars=2000,
    )
    left, right, _ = st.columns([1, 1, 4])
    for column, name, primary in ((left, "approve", True), (right, "reject", False)):
        action = BY_NAME[name]
        if column.button(
            action.label,
            icon=action.icon,
            type="primary" if primary else "secondary",
            key=f"decide_{name}",
        ):
            _decide(actor, view, action, note)


def _decide(actor: Actor, view: FlowView, action: FlowAction, note: str) -> None:
    def run(session: Session) -> Done:
        return perform(session, actor, action, view.id, note=note)

    def said(done: Done) -> str:
        return action.success_in(done.state)

    attempt(run, success=said)


def approval_notes(view: FlowView) -> None:
    """On a flow's page: who asked and where it waits, who approved, the note to read."""
    if view.state == FlowState.AWAITING_APPROVAL:
        st.info(
            f"In attesa di approvazione: chiesta da {view.approval_requested_by} il"
            f" {local_time(view.approval_requested_at)}. Un altro operatore abilitato al"
            " servizio la approva o la respinge in «Da approvare».",
            icon=":material/hourglass_top:",
        )
        st.session_state[CHOSEN_KEY] = view.id
        st.page_link(PAGE, label="Apri in «Da approvare»", icon=":material/fact_check:")
    if view.approved_by and view.state != FlowState.AWAITING_APPROVAL:
        st.caption(f"Approvato da {view.approved_by} il {local_time(view.approved_at)}.")
    if view.approval_note:
        if view.state == FlowState.INACTIVE:
            st.warning(view.approval_note, icon=":material/rate_review:")
        else:
            st.caption(f"Nota dell'approvazione: {view.approval_note}")
