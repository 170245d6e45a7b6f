"""What «Verifica file» leaves on «Nuovo flusso»: the report, kept while the same file is
chosen, and the preview of any of its rows as IO will show the message."""

from __future__ import annotations

from typing import Any

import streamlit as st

from appio_core.accounts.permissions import Actor
from appio_core.flows.importing import Templates, preview_flow_row
from appio_core.recipient_file.report import ValidationReport
from appio_core.recipient_file.validation import RowPreview
from appio_ui.attempt import attempt
from appio_ui.message_preview import message_preview
from appio_ui.report_view import plain, show_report

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
    state = st.session_state
    return Templates(
        state.get("nf_subject") or None, state.get("nf_text") or None, state.get("nf_sheet") or None
    )


def checked_sections(actor: Actor, service_id: int) -> None:
    report = checked_report()
    if report is None:
        return
    show_report(report)
    if report.usable:
        _preview(actor, service_id)


def _preview(actor: Actor, service_id: int) -> None:
    st.subheader("Anteprima di un messaggio")
    row = int(
        st.number_input(
            "Riga del file da mostrare",
            min_value=2,
            value=2,
            step=1,
            help="Il numero di riga del foglio: l'intestazione è la riga 1.",
            key="nf_preview_row",
        )
    )
    preview = row_preview(actor, service_id, row)
    if preview is None:
        return
    if preview.error:
        st.warning(preview.error)
        return
    st.caption(
        f"Riga {preview.row}, come la mostrerà IO (i valori del file al posto dei segnaposto)."
    )
    message_preview(preview.subject, preview.markdown)
    if preview.fields:
        st.caption(" · ".join(f"{plain(k)}: {plain(v) or '—'}" for k, v in preview.fields.items()))


def row_preview(actor: Actor, service_id: int, row: int) -> RowPreview | None:
    """The preview, kept per file, templates and row: a rerun does not read the file again."""
    upload = _upload()
    if upload is None:
        return None
    templates = current_templates()
    key = (upload.file_id, service_id, templates, row)
    cache: dict[Any, RowPreview] = st.session_state.setdefault(_PREVIEWS, {})
    if key not in cache:
        content, filename = upload.getvalue(), upload.name
        found = attempt(
            lambda session: preview_flow_row(
                session, actor, service_id, content, filename, templates, row
            )
        )
        if found is None:
            return None
        cache.clear()  # one file's previews at a time
        cache[key] = found
    return cache[key]
