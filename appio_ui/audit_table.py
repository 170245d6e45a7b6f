"""«Registro attività»: the filters («Elenca») and the grid of the audit log, paged and sorted
by the database; a double click (or «Apri») shows an entry whole."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from appio_core.accounts.audit_log import (
    AuditFilters,
    AuditRow,
    AuditSort,
    AuditSortKey,
    action_choices,
    get_entry,
    search,
)
from appio_core.accounts.permissions import Actor
from appio_core.audit import AuditOutcome
from appio_core.content.fiscal_code import is_pseudonym
from appio_core.errors import AppError
from appio_core.italian import local_time, parse_day
from appio_core.paging import Page
from appio_ui.archive_table import ArchiveTable, show_table
from appio_ui.runtime import transaction

ALL = "Tutte"
FILTERS_KEY = "audit_log_filters"
LABELS = {
    "at": "Quando",
    "operator": "Operatore",
    "action": "Azione",
    "target": "Oggetto",
    "fiscal_code": "Codice fiscale",
    "outcome": "Esito",
    "detail": "Dettaglio",
    "origin": "Provenienza",
}
SORTABLE = {
    "at": AuditSortKey.AT,
    "operator": AuditSortKey.OPERATOR,
    "action": AuditSortKey.ACTION,
    "outcome": AuditSortKey.OUTCOME,
}


def audit_filters() -> AuditFilters | None:
    """The form; returns new filters when «Elenca» was pressed with valid ones."""
    labels = {label: code for code, label in action_choices().items()}
    with st.form("audit_filters"):
        c1, c2, c3 = st.columns(3)
        since = c1.text_input("Dal", key="af_since", placeholder="gg/mm/aaaa")
        until = c2.text_input("Al", key="af_until", placeholder="gg/mm/aaaa")
        operator = c3.text_input("Operatore", key="af_operator", help="Il nome utente.")
        c4, c5, c6 = st.columns(3)
        action = c4.selectbox("Azione", [ALL, *labels], key="af_action")
        outcome = c5.selectbox("Esito", [ALL, *(o.value for o in AuditOutcome)], key="af_outcome")
        target = c6.text_input("Oggetto contiene", key="af_target")
        submitted = st.form_submit_button("Elenca", type="primary", icon=":material/search:")
    if not submitted:
        return None
    try:
        first = parse_day(since, "La data «Dal»")
        last = parse_day(until, "La data «Al»")
    except AppError as exc:
        st.error(exc.message)
        return None
    if first and last and first > last:
        st.error("La data «Dal» viene dopo «Al»: scambiale.")
        return None
    return AuditFilters(
        since=first,
        until=last,
        operator=operator,
        action="" if action == ALL else labels[action],
        outcome=None if outcome == ALL else AuditOutcome(outcome),
        target_contains=target,
    )


def frame(rows: list[AuditRow]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [r.id for r in rows],
            "at": [local_time(r.at) for r in rows],
            "operator": [r.operator for r in rows],
            "action": [r.label for r in rows],
            "target": [r.target for r in rows],
            "fiscal_code": [r.fiscal_code or "" for r in rows],
            "outcome": [r.outcome for r in rows],
            "detail": [r.detail for r in rows],
            "origin": [r.origin for r in rows],
        },
        columns=["id", *LABELS],
    )


def _open(actor: Actor) -> Callable[[int], None]:
    @st.dialog("Voce del registro", width="large")
    def show(entry_id: int) -> None:
        try:
            with transaction() as session:
                row = get_entry(session, actor, entry_id)
        except AppError as exc:
            st.error(exc.message)
            return
        st.markdown(f"**{row.label}** · {row.outcome} · {local_time(row.at)}")
        facts = {
            "Operatore": row.operator,
            "Oggetto": row.target,
            "Codice fiscale": _citizen(row.fiscal_code),
            "Dettaglio": row.detail or "—",
            "Provenienza": row.origin or "—",
            "Codice azione": row.action,
            "N.": str(row.id),
        }
        st.table(
            pd.DataFrame({"Voce": list(facts), "Valore": list(facts.values())}).set_index("Voce")
        )

    return show


def _citizen(code: str | None) -> str:
    if code is None:
        return "—"
    return f"{code} (pseudonimo)" if is_pseudonym(code) else code


def audit_table(actor: Actor) -> ArchiveTable[AuditSortKey, AuditRow]:
    return ArchiveTable(
        key="audit_grid",
        labels=LABELS,
        sortable=SORTABLE,
        default_sort=(AuditSortKey.AT, True),
        noun=("voce", "voci"),
        to_frame=frame,
        open=_open(actor),
        open_label="Apri la voce n. {id}",
        widths={"target": 220, "detail": 320, "action": 200},
        whole=frozenset({"at", "fiscal_code"}),
        wrap=frozenset({"target", "detail"}),
    )


def show_audit(
    actor: Actor,
    filters: AuditFilters,
    table: ArchiveTable[AuditSortKey, AuditRow],
    footer: Callable[[], None] | None = None,
) -> None:
    def fetch(key: AuditSortKey, descending: bool, page: int, size: int) -> Page[AuditRow]:
        with transaction() as session:
            return search(
                session, actor, filters, sort=AuditSort(key, descending), page=page, page_size=size
            )

    show_table(table, fetch, footer)
