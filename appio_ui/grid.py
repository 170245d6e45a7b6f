"""The one place that calls AgGrid, so pages and tests deal with plain DataFrames and ids.

Archive grids are paged and sorted by the database: the grid shows one page, a click on a
sortable header asks the server for the list in that order, a double click on a row opens
it. What the grid reports is turned into a `GridEvent` by plain functions, tested without
a browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from st_aggrid import AgGrid, GridOptionsBuilder, JsCode

from appio_core.italian import thousands
from appio_core.paging import Page

# The rows arrive sorted by the server: the grid keeps their order (a stable sort on equal
# keys), and a click on a header only tells the server which order is wanted.
_KEEP_ORDER = JsCode("function() { return 0; }")
OPEN = "rowDoubleClicked"


@dataclass(frozen=True)
class Sort:
    column: str
    descending: bool


@dataclass(frozen=True)
class GridEvent:
    selected_id: int | None = None
    opened_id: int | None = None  # a row double-clicked: open its detail
    sort: Sort | None = None  # the order the operator asked for by clicking a header


def selected_id(selected: pd.DataFrame | None, id_column: str = "id") -> int | None:
    if selected is None or len(selected) == 0 or id_column not in selected:
        return None
    return int(selected.iloc[0][id_column])


def opened_id(event_data: Mapping[str, Any] | None, id_column: str = "id") -> int | None:
    """The id of the row double-clicked, when that is what made the grid answer."""
    if not event_data or event_data.get("streamlitRerunEventTriggerName") != OPEN:
        return None
    row = event_data.get("data") or {}
    value = row.get(id_column)
    return int(value) if value is not None else None


def requested_sort(columns_state: list[Mapping[str, Any]] | None, allowed: set[str]) -> Sort | None:
    """The sort shown in the grid's headers, if on a column the server can sort by."""
    for state in columns_state or []:
        column, order = state.get("colId"), state.get("sort")
        if column in allowed and order in ("asc", "desc"):
            return Sort(str(column), order == "desc")
    return None


# Widths from the content, measured in characters: AG Grid's 13 px sans-serif averages
# about 7 px a character; the padding holds the cell's margins and the header's sort arrow.
CHAR_PX = 7
PADDING_PX = 30
# Wider than this, a column of long text (a subject, an error's «Dettaglio») wraps its lines
# instead of pushing the other columns out of sight; its whole text also shows on hover.
LONG_TEXT_PX = 240
ROWS_DRAWN = 60
# The narrowest column still shows a short header («N.») beside its sort arrow.
MIN_PX = 64
# The first column also holds the grid's menu icon.
FIRST_COLUMN_PX = 28


def content_width(values: pd.Series, header: str) -> int:
    """Pixels that show the header and the longest value whole."""
    longest = max((len(str(v)) for v in values), default=0)
    return max(max(longest, len(header)) * CHAR_PX + PADDING_PX, MIN_PX)


def column_layout(
    frame: pd.DataFrame, labels: Mapping[str, str], floors: Mapping[str, int]
) -> dict[str, dict[str, Any]]:
    """Each shown column's options: key columns (codici fiscali, IO ids, dates, names) at
    least as wide as their content, so never cut; long text wrapped in a bounded column;
    every column then stretched to fill the grid (fitGridWidth), never below its minimum."""
    layout: dict[str, dict[str, Any]] = {}
    shown = [c for c in frame.columns if c in labels]
    for column in shown:
        header = labels[column]
        width = max(content_width(frame[column], header), floors.get(column, 0))
        if column == shown[0]:
            width += FIRST_COLUMN_PX
        if width > LONG_TEXT_PX:
            layout[column] = {"minWidth": LONG_TEXT_PX, "wrapText": True, "autoHeight": True}
        else:
            layout[column] = {"minWidth": width}
    return layout


def _builder(
    frame: pd.DataFrame,
    labels: dict[str, str],
    widths: Mapping[str, int],
    extra: Mapping[str, dict[str, Any]] | None = None,
) -> GridOptionsBuilder:
    """Columns labelled in Italian (the others hidden); `widths` are floors in pixels;
    `extra` adds options per column."""
    builder = GridOptionsBuilder.from_dataframe(frame)
    builder.configure_default_column(filter=False, sortable=False, resizable=True)
    layout = column_layout(frame, labels, widths)
    for column in frame.columns:
        if column in labels:
            builder.configure_column(
                column,
                header_name=labels[column],
                tooltipField=column,  # long text shows whole on hover
                **layout[column],
                **(extra or {}).get(column, {}),
            )
        else:
            builder.configure_column(column, hide=True)
    builder.configure_selection("single")
    builder.configure_grid_options(
        suppressCellFocus=False,
        tooltipShowDelay=300,
        autoSizeStrategy={"type": "fitGridWidth"},
        # A page holds at most 50 rows: all of them and every column are drawn, so the
        # browser's «Trova» (Ctrl+F) finds any row of the page, wrapped rows included.
        rowBuffer=ROWS_DRAWN,
        suppressColumnVirtualisation=True,
        localeText=_ITALIAN,
    )
    return builder


def selectable_grid(
    frame: pd.DataFrame,
    key: str,
    *,
    labels: dict[str, str],
    id_column: str = "id",
    height: int = 320,
    widths: Mapping[str, int] | None = None,
) -> int | None:
    """A small grid (every row at once); returns the id of the selected row, if any."""
    builder = _builder(frame, labels, widths or {})
    response = AgGrid(
        frame,
        gridOptions=builder.build(),
        key=key,
        height=height,
        update_on=["selectionChanged"],
        show_toolbar=False,
        # Read-only views of the database: what the server sends always replaces the rows.
        server_sync_strategy="server_wins",
    )
    return selected_id(response.selected_rows, id_column)


def paged_grid(
    frame: pd.DataFrame,
    key: str,
    *,
    labels: dict[str, str],
    sortable: set[str],
    sort: Sort,
    id_column: str = "id",
    height: int = 440,
    widths: Mapping[str, int] | None = None,
) -> GridEvent:
    """One page of a longer list, sorted by the server; reports selection, double click and
    a requested sort. After an opening, call `forget_events(key)` so that the stale event
    does not open the row again when the page is shown next."""
    sorting = {
        column: {
            "sortable": True,
            "comparator": _KEEP_ORDER,
            "sort": ("desc" if sort.descending else "asc") if column == sort.column else None,
        }
        for column in sortable & set(frame.columns)
    }
    builder = _builder(frame, labels, widths or {}, sorting)
    generation = st.session_state.get(_generation_key(key), 0)
    response = AgGrid(
        frame,
        gridOptions=builder.build(),
        key=f"{key}_{generation}",
        height=height,
        update_on=["selectionChanged", "sortChanged", OPEN],
        show_toolbar=False,
        allow_unsafe_jscode=True,  # only _KEEP_ORDER, our own constant
        server_sync_strategy="server_wins",
    )
    asked = requested_sort(response.columns_state, sortable)
    return GridEvent(
        selected_id=selected_id(response.selected_rows, id_column),
        opened_id=opened_id(response.event_data, id_column),
        sort=asked if asked != sort else None,
    )


def _generation_key(key: str) -> str:
    return f"_grid_generation_{key}"


def forget_events(key: str) -> None:
    """A fresh grid next time: the component keeps its last answer (the double click)."""
    name = _generation_key(key)
    st.session_state[name] = st.session_state.get(name, 0) + 1


def page_caption(page: Page[Any], noun: tuple[str, str]) -> str:
    """«Righe 51-100 di 1.234 notifiche» (noun: singular, plural); «di oltre 10.000» when
    the count stopped there."""
    one, many = noun
    if page.total == 0:
        article = "Nessuna" if one.endswith("a") else "Nessun"
        return f"{article} {one} corrisponde ai filtri."
    word = one if page.total == 1 else many
    last = page.first_row + len(page.rows) - 1
    if page.pages == 1:
        return f"{thousands(page.total)} {word}."
    if page.more:  # the count stopped at page.total: the first pages of more
        return (
            f"Righe {thousands(page.first_row)}-{thousands(last)} di oltre"
            f" {thousands(page.total)} {many} (pagina {page.number} di oltre"
            f" {thousands(page.pages)}): restringi la ricerca per vederle tutte."
        )
    return (
        f"Righe {thousands(page.first_row)}-{thousands(last)} di {thousands(page.total)} {word}"
        f" (pagina {page.number} di {thousands(page.pages)})."
    )


def pager(page: Page[Any], state_key: str) -> None:
    """«Precedente», a page number, «Successiva»: the page shown lives in
    `st.session_state[state_key]` (1-based), changed by the callbacks before the rerun."""
    if page.pages <= 1:
        return
    typed_key = f"{state_key}_typed"

    def go(number: int) -> None:
        st.session_state[state_key] = number

    def typed() -> None:
        st.session_state[state_key] = int(st.session_state[typed_key])

    st.session_state[typed_key] = page.number
    back, number, forward = st.columns(3)
    back.button(
        "Precedente",
        key=f"{state_key}_back",
        on_click=go,
        args=(page.number - 1,),
        disabled=page.number <= 1,
        icon=":material/chevron_left:",
    )
    number.number_input(
        "Vai alla pagina",
        min_value=1,
        max_value=page.pages,
        step=1,
        key=typed_key,
        on_change=typed,
        label_visibility="collapsed",
    )
    forward.button(
        "Successiva",
        key=f"{state_key}_forward",
        on_click=go,
        args=(page.number + 1,),
        disabled=page.number >= page.pages,
        icon=":material/chevron_right:",
    )


# AG Grid's own words that can show in these grids, in Italian.
_ITALIAN = {
    "noRowsToShow": "Nessuna riga",
    "loadingOoo": "Caricamento…",
    "page": "Pagina",
    "of": "di",
    "to": "-",
    "more": "altre",
    "ariaRowSelect": "Seleziona la riga",
    "ariaChecked": "selezionata",
    "ariaUnchecked": "non selezionata",
    "sortAscending": "Ordine crescente",
    "sortDescending": "Ordine decrescente",
}
