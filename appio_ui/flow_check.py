"""What «Verifica file» leaves on «Nuovo flusso»: the report, kept while the same file is
chosen, and the preview of any of its rows as IO will show the message."""

from __future__ import annotations

from typing import Any

import streamlit as st

from appio_core.accounts.permissions import Actor
from appio_core.domain import FeatureLevel
from appio_core.flows.importing import Templates, preview_flow_row
from appio_core.notifications.trial import send_file_trial
from appio_core.recipient_file.columns import ROLE_LABELS, TEXT_ONLY
from appio_core.recipient_file.report import ValidationReport
from appio_core.recipient_file.validation import RowPreview
from appio_ui import cta_fields
from appio_ui.attempt import attempt
from appio_ui.message_preview import message_preview
from appio_ui.report_view import plain, show_report
from appio_ui.trial_send import trial_button

_REPORT = "nf_report"
_PREVIEWS = "nf_previews"


def _upload() -> Any:
    return st.session_state.get("nf_file")


def remember_report(report: ValidationReport) -> None:
    upload = _upload()
    if upload is not None:
        st.session_state[_REPORT] = (upload.file_id, report)


def checked_report() -> ValidationReport | None:
    """The report of the file now chosen, if «Verifica file» read it."""
    upload = _upload()
    saved = st.session_state.get(_REPORT)
    if upload is None or saved is None or saved[0] != upload.file_id:
        return None
    report: ValidationReport = saved[1]
    return report


def current_templates() -> Templates:
    """Templates, sheet and the columns' meaning as the page holds them now."""
    state = st.session_state
    return Templates(
        state.get("nf_subject") or None,
        state.get("nf_text") or None,
        state.get("nf_sheet") or None,
        chosen_columns(),
    )


def _column_key(file_id: str, position: int) -> str:
    return f"nf_column_{file_id}_{position}"


def chosen_columns() -> tuple[tuple[str, str], ...]:
    """Every column of the checked file with the meaning shown for it (the operator's
    choice, or what the check found): what is shown is what the flow uses."""
    report = checked_report()
    upload = _upload()
    if report is None or upload is None:
        return ()
    by_label = {label: role for role, label in ROLE_LABELS.items()}
    chosen = []
    for position, (header, role) in enumerate(report.columns):
        label = st.session_state.get(_column_key(upload.file_id, position))
        chosen.append((header, by_label.get(label, role) if label else role))
    return tuple(chosen)


def checked_sections(actor: Actor, service_id: int) -> None:
    report = checked_report()
    if report is None:
        return
    show_report(report)
    if report.columns:
        _column_meanings(report)
    if report.usable:
        _preview(actor, service_id)
    if not report.has_errors:
        _trial(actor, service_id)


def _trial(actor: Actor, service_id: int) -> None:
    upload = _upload()
    content, filename = upload.getvalue(), upload.name
    templates = current_templates()
    natura = st.session_state.get("nf_natura")
    level = FeatureLevel.chosen(bool(st.session_state.get("nf_advanced")))
    buttons = cta_fields.checked_buttons("nf_")[0]
    secure = cta_fields.secure_channel("nf_")
    st.subheader("Invio di prova")
    trial_button(
        "nf_trial",
        lambda sessions, box, base_url: send_file_trial(
            sessions, actor, service_id, content, filename, templates, natura, box, base_url,
            level, buttons, secure,
        ),
    )  # fmt: skip


def _column_meanings(report: ValidationReport) -> None:
    st.subheader("Significato delle colonne")
    st.caption(
        f"Come è letta ogni colonna del file (intestazione alla riga {report.header_row})."
        " «Solo testo»: il valore serve solo ai modelli ({{nome_colonna}}). Su una"
        " Comunicazione le colonne «importo» e «numero avviso» sono solo testo: scegli"
        " «importo pagoPA» se sono un pagamento; «amount», come nei file di IO, è in"
        " centesimi. Dopo una modifica premi di nuovo «Verifica file»."
    )
    upload = _upload()
    labels = list(ROLE_LABELS.values())
    columns = st.columns(min(4, len(report.columns)))
    readings = report.readings if len(report.readings) == len(report.columns) else []
    changed = False
    for position, (header, role) in enumerate(report.columns):
        column = columns[position % len(columns)]
        label = column.selectbox(
            header,
            labels,
            index=labels.index(ROLE_LABELS.get(role, ROLE_LABELS[TEXT_ONLY])),
            key=_column_key(upload.file_id, position),
        )
        if readings:
            column.caption(plain(readings[position]))
        changed |= label != ROLE_LABELS.get(role)
    if changed:
        st.info("Hai cambiato il significato di qualche colonna: premi di nuovo «Verifica file».")


def _preview(actor: Actor, service_id: int) -> None:
    st.subheader("Anteprima di un messaggio")
    report = checked_report()
    header = report.header_row if report is not None else 1
    row = int(
        st.number_input(
            "Riga del file da mostrare",
            min_value=2,
            value=header + 1,
            step=1,
            help=f"Il numero di riga del foglio: l'intestazione è la riga {header}.",
            key="nf_preview_row",
        )
    )
    # A row above the first recipient (a title) shows the first recipient's message.
    preview = row_preview(actor, service_id, row if row > header else 0)
    if preview is None:
        return
    if preview.error:
        st.warning(preview.error)
        return
    st.caption(
        f"Riga {preview.row}, come la mostrerà IO (i valori del file al posto dei segnaposto)."
    )
    message_preview(preview.subject, preview.markdown, cta_fields.checked_buttons("nf_")[0])
    if preview.fields:
        st.caption(" · ".join(f"{plain(k)}: {plain(v) or '—'}" for k, v in preview.fields.items()))


def row_preview(actor: Actor, service_id: int, row: int) -> RowPreview | None:
    """The preview, kept per file, templates and row: a rerun does not read the file again."""
    upload = _upload()
    if upload is None:
        return None
    templates = current_templates()
    key = (upload.file_id, service_id, templates, row, st.session_state.get("nf_natura"))
    cache: dict[Any, RowPreview] = st.session_state.setdefault(_PREVIEWS, {})
    if key not in cache:
        content, filename = upload.getvalue(), upload.name
        natura = st.session_state.get("nf_natura")
        found = attempt(
            lambda session: preview_flow_row(
                session, actor, service_id, content, filename, templates, row, natura
            )
        )
        if found is None:
            return None
        cache.clear()  # one file's previews at a time
        cache[key] = found
    return cache[key]
