"""Shows a recipient-file validation report: what to fix, row by row, in Italian."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from appio_core.recipient_file import sandbox
from appio_core.recipient_file.report import RowIssue, ValidationReport

# The page that shows reports is the one that reads files: its first load starts the
# sandbox's fork server (once per server process, without waiting for it), so that the
# operator's first «Verifica file» does not wait for its imports.
sandbox.start_soon()

SHOWN_ROWS = 200
# st.table renders each cell as Markdown: a cell of the file could otherwise show an image
# fetched from anywhere in the operator's browser. A backslash before any ASCII punctuation
# makes it literal (CommonMark), which covers Streamlit's own extensions ($, :, [) too.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: str) -> str:
    """Text that Markdown shows exactly as it is."""
    return _PUNCTUATION.sub(r"\\\1", text)


def _frame(issues: list[RowIssue]) -> pd.DataFrame:
    shown = issues[:SHOWN_ROWS]
    return pd.DataFrame(
        {
            "Riga": [str(i.row) for i in shown],
            "Colonna": [plain(i.column) for i in shown],
            "Valore": [plain(i.value) for i in shown],
            "Cosa correggere": [plain(i.message) for i in shown],
        }
    )


def show_report(report: ValidationReport) -> None:
    for error in report.file_errors:
        st.error(error.message)
    if not report.usable:
        return
    # A template's own problem first and once (it concerns every row), then the rows.
    for error in report.template_errors:
        st.error(error.message)
    if report.has_errors:
        st.error(f"Il file ha errori da correggere. {_rows_summary(report)}")
    else:
        st.success(f"File valido. {report.summary()}")
    for warning in report.file_warnings:
        st.warning(warning.message)
    for note in report.notes:
        st.info(note)
    errors = report.first_errors(SHOWN_ROWS)
    warnings = report.first_warnings(SHOWN_ROWS)
    # A static table wraps long messages; a data grid cut them («…ha 19.014 caratteri, a…»).
    if errors:
        st.markdown(
            "**Errori** (le righe sono quelle del foglio: l'intestazione è la riga"
            f" {report.header_row})"
        )
        st.table(_frame(errors), hide_index=True)
    if warnings:
        st.markdown("**Avvisi** (non bloccano l'invio)")
        st.table(_frame(warnings), hide_index=True)
    if len(report.error_frame) > SHOWN_ROWS or len(report.warning_frame) > SHOWN_ROWS:
        st.caption(
            f"Sono mostrate le prime {SHOWN_ROWS} segnalazioni di ciascun tipo: l'elenco"
            " completo si ottiene con «appio flow validate --format json»."
        )


def _rows_summary(report: ValidationReport) -> str:
    summary = report.summary()
    for error in report.template_errors:  # already shown above, on its own
        summary = summary.replace(error.message, "").strip()
    return summary
