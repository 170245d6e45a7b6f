"""The flows archive grid, paged and sorted by the database; a double click (or «Apri»)
opens the flow."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from appio_core.accounts.permissions import Actor
from appio_core.content.correction import link_label
from appio_core.flows.queries import FlowFilters, FlowSort, FlowSortKey, FlowView, search_flows
from appio_core.italian import local_time
from appio_core.paging import Page
from appio_ui.archive_table import ArchiveTable, show_table
from appio_ui.runtime import transaction

FLOW_PAGE = "pages/flusso.py"
LABELS = {
    "id": "N.",
    "name": "Flusso",
    "service_name": "Servizio",
    "natura": "Natura",
    "state": "Stato",
    "correction": "Rettifica",
    "recipients_total": "Destinatari",
    "created_at": "Creato il",
    "created_by": "Autore",
    "source_filename": "File",
}
SORTABLE = {
    "id": FlowSortKey.ID,
    "name": FlowSortKey.NAME,
    "service_name": FlowSortKey.SERVICE,
    "natura": FlowSortKey.NATURA,
    "state": FlowSortKey.STATE,
    "recipients_total": FlowSortKey.RECIPIENTS,
    "created_at": FlowSortKey.CREATED_AT,
    "created_by": FlowSortKey.AUTHOR,
}


def frame(flows: list[FlowView]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f.id for f in flows],
            "name": [f.name for f in flows],
            "service_name": [f.service_name for f in flows],
            "natura": [f.natura for f in flows],
            "state": [f.state.value for f in flows],
            "recipients_total": [f.recipients_total for f in flows],
            "created_at": [local_time(f.created_at) for f in flows],
            "created_by": [f.created_by for f in flows],
            "source_filename": [f.source_filename for f in flows],
            "correction": [link_label(f.corrects_flow_id, f.corrected_by) for f in flows],
        },
        columns=list(LABELS),
    )


def open_flow(flow_id: int) -> None:
    st.switch_page(FLOW_PAGE, query_params={"flusso": str(flow_id)})


FLOWS = ArchiveTable(
    key="flows_grid",
    labels=LABELS,
    sortable=SORTABLE,
    default_sort=(FlowSortKey.CREATED_AT, True),
    noun=("flusso", "flussi"),
    to_frame=frame,
    open=open_flow,
    open_label="Apri il flusso n. {id}",
    widths={"name": 240, "correction": 170},
    whole=frozenset({"created_at"}),
    wrap=frozenset({"name", "correction", "source_filename"}),
    pinned=("id",),
)


def show_flows(
    actor: Actor, filters: FlowFilters, footer: Callable[[], None] | None = None
) -> None:
    def fetch(key: FlowSortKey, descending: bool, page: int, size: int) -> Page[FlowView]:
        with transaction() as session:
            return search_flows(
                session, actor, filters, sort=FlowSort(key, descending), page=page, page_size=size
            )

    show_table(FLOWS, fetch, footer)
