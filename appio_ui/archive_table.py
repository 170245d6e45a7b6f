"""An archive grid paged and sorted by the database (the notifications', the flows', a
flow's recipients): caption with the total, the grid, «Apri» for the selected row, and at
the bottom the footer on the left (the seed's place for «Esporta Excel») and the pager."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pandas as pd
import streamlit as st

from appio_core.paging import Page
from appio_ui.grid import GridEvent, Sort, forget_events, page_caption, paged_grid, pager

K = TypeVar("K")  # the core's sort key
R = TypeVar("R")  # a row of the core's page

PAGE_SIZE = 50


@dataclass(frozen=True)
class ArchiveTable(Generic[K, R]):
    key: str
    labels: dict[str, str]
    sortable: dict[str, K]  # grid column -> the core's sort key
    default_sort: tuple[K, bool]  # (key, descending)
    noun: tuple[str, str]  # singular, plural
    to_frame: Callable[[list[R]], pd.DataFrame]
    open: Callable[[int], None]  # shows the detail of a row (switches page)
    open_label: str  # «Apri la notifica n. {id}»
    widths: dict[str, int] | None = None  # preferred widths of text columns, in pixels
    # Never wrapped (codici fiscali, IO ids, dates); numbers never are either.
    whole: frozenset[str] = frozenset()
    # The columns of free text, wrapped to fit; the others are short labels, on one line
    # while the grid has room (see grid.column_layout).
    wrap: frozenset[str] = frozenset()
    # The key columns, kept on the left when the others must scroll sideways.
    pinned: tuple[str, ...] = ()

    def sort(self) -> tuple[K, bool]:
        sort: tuple[K, bool] = st.session_state.get(f"{self.key}_sort", self.default_sort)
        return sort

    def page_number(self) -> int:
        return int(st.session_state.get(f"{self.key}_page", 1))

    def reset(self) -> None:
        """New filters: back to the first page."""
        st.session_state[f"{self.key}_page"] = 1


def show_table(
    table: ArchiveTable[K, R],
    fetch: Callable[[K, bool, int, int], Page[R]],
    footer: Callable[[], None] | None = None,
) -> None:
    """`fetch(sort key, descending, page, page size)` reads one page from the core."""
    key, descending = table.sort()
    page = fetch(key, descending, table.page_number(), PAGE_SIZE)
    st.caption(page_caption(page, table.noun) + " Doppio clic su una riga per aprirla.")
    column = next((c for c, k in table.sortable.items() if k == key), "")
    event = paged_grid(
        table.to_frame(page.rows),
        table.key,
        labels=table.labels,
        sortable=set(table.sortable) & set(table.labels),
        sort=Sort(column, descending),
        widths=table.widths,
        whole=table.whole,
        wrap=table.wrap,
        pinned=table.pinned or tuple(table.labels)[:1],
    )
    _handle(table, event)
    left, right = st.columns([1, 2])
    with left:
        if footer is not None:
            footer()
    with right:
        pager(page, f"{table.key}_page")


def _handle(table: ArchiveTable[Any, Any], event: GridEvent) -> None:
    if event.sort is not None:
        st.session_state[f"{table.key}_sort"] = (
            table.sortable[event.sort.column],
            event.sort.descending,
        )
        table.reset()
        st.rerun()
    if event.opened_id is not None:
        forget_events(table.key)
        table.open(event.opened_id)
    if event.selected_id is not None and st.button(
        table.open_label.format(id=event.selected_id),
        icon=":material/open_in_new:",
        key=f"{table.key}_open",
    ):
        forget_events(table.key)
        table.open(event.selected_id)
