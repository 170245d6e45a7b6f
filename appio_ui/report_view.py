"""Shows a recipient-file validation report: what to fix, row by row, in Italian."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from appio_core.recipient_file.report import RowIssue, ValidationReport

SHOWN_ROWS = 500


def _frame(issues: list[RowIssue]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Riga": [i.row for i in issues[:SHOWN_ROWS]],
            "Colonna": [i.column for i in issues[:SHOWN_ROWS]],
            "Valore": [i.value for i in issues[:SHOWN_ROWS]],
            "Cosa correggere": [i.message for i in issues[:SHOWN_ROWS]],
        }
    )


def show_report(report: ValidationReport) -> None:
    for error in report.file_errors:
        st.error(error.message)
    if not report.usable:
        return
    if report.has_errors:
        st.error(f"Il file ha errori da correggere. {report.summary()}")
    else:
        st.success(f"File valido. {report.summary()}")
    errors, warnings = report.errors, report.warnings
    if errors:
        st.markdown("**Errori** (le righe sono quelle del foglio: l'intestazione è la riga 1)")
        st.dataframe(_frame(errors), hide_index=True, width="stretch")
    if warnings:
        st.markdown("**Avvisi** (non bloccano l'invio)")
        st.dataframe(_frame(warnings), hide_index=True, width="stretch")
    if len(errors) > SHOWN_ROWS or len(warnings) > SHOWN_ROWS:
        st.caption(f"Sono mostrate le prime {SHOWN_ROWS} segnalazioni di ciascun tipo.")
