"""The one place that calls AgGrid, so pages and tests deal with plain DataFrames and ids.

Archive grids are paged and sorted by the database: the grid shows one page, a click on a
sortable header asks the server for the list in that order, a double click on a row opens
it. What the grid reports is turned into a `GridEvent` by plain functions, tested without
a browser.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
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
# Rows as tall as their wrapped text, counted in the browser without measuring the page
# (assets/row_height.js), and counted again when a wrapped column's width changes
# (column_resized.js). The columns are fitted to the grid before its first drawing, and
# again when a rerun brings them anew (AG Grid's fitGridWidth strategy fitted them after the
# first drawing, and never after a filter: the grid then scrolled sideways).
_ROW_HEIGHT = JsCode((Path(__file__).parent / "assets" / "row_height.js").read_text())
_FIT_COLUMNS = JsCode("function(e) { e.api.sizeColumnsToFit(); }")
_COUNT_ROWS_AGAIN = JsCode((Path(__file__).parent / "assets" / "column_resized.js").read_text())


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


# Widths from the content. AG Grid's cells are 12 px sans-serif, its headers the same in bold:
# Arial's advance widths (thousandths of the font size), which Liberation Sans, Chromium's
# sans-serif on Linux, shares; checked against Chromium's own measures (test_grid_layout).
# A character not listed counts as wide as «M»: an estimate may be wide, never short.
_REGULAR = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;/-'()«»–_@",
        [667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778,
         722, 667, 611, 722, 667, 944, 667, 667, 611, 556, 556, 500, 556, 556, 278, 556, 556,
         222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,
         500, *[556] * 10, 278, 278, 278, 278, 278, 278, 333, 191, 333, 333, 556, 556, 556,
         556, 1015],
        strict=True,
    )
)  # fmt: skip
_BOLD = {
    **_REGULAR,
    **dict(
        zip(
            "ABJKLabcdefghijklmnopqrstuvwxy",
            [722, 722, 556, 722, 611, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
             278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556],
            strict=True,
        )
    ),
}  # fmt: skip
_FONT_PX = 12
CELL_PAD_PX = 18
# A wrapped cell's lines: LINE_PX each, WRAP_PAD_PX above and below, so that its first line
# sits where a label's one line does (centred in the theme's row); a row of one line keeps
# the theme's height.
LINE_PX = 18
WRAP_PAD_PX = 4
ROW_BORDERS_PX = 2
HEADER_PAD_PX = 36
# Rows drawn beyond the window. AG Grid counts them at the default row height (a buffer of
# ROWS_DRAWN x that height in pixels), and a row of wrapped free text is several lines tall:
# 60 left the last rows of a page of 50 undrawn, unseen by the browser's «Trova» (seen in
# the «Registro attività»). Enough for 50 rows of 20 lines: every row of a page is drawn.
ROWS_DRAWN = 50 * 20
# The narrowest column still shows a short header («N.») beside its sort arrow.
MIN_PX = 64
# The first column also holds the grid's menu icon.
FIRST_COLUMN_PX = 28
# A column of free text wraps its lines rather than push the others out of sight: it may
# shrink to its longest word, at most this wide (a longer word breaks), and asks for at most
# LONG_TEXT_PX when there is room; its whole text also shows on hover.
WORD_PX = 100
LONG_TEXT_PX = 320
# The grid's width on a 1366x768 screen, the most common in offices (the sidebar and the
# page's margins taken): every column's minimum fits in it, so none is out of sight there.
FIT_PX = 1000


def text_px(text: str, *, bold: bool = False) -> int:
    """The pixels `text` takes in a grid's cell (or, bold, in its header)."""
    widths = _BOLD if bold else _REGULAR
    # An accented letter is as wide as its base letter («è» as «e»).
    plain = unicodedata.normalize("NFD", text)
    units = sum(widths.get(c, 833) for c in plain if not unicodedata.combining(c))
    return math.ceil(units * _FONT_PX / 1000) + 1


def _header_px(header: str) -> int:
    return text_px(header, bold=True) + HEADER_PAD_PX


def _one_line(narrowest: int, width: int = 0) -> dict[str, Any]:
    """Never wrapped nor cut: at least `narrowest` (its longest value) wide."""
    return {"minWidth": narrowest, "width": max(width, narrowest)}


def column_layout(
    frame: pd.DataFrame,
    labels: Mapping[str, str],
    preferred: Mapping[str, int],
    whole: Collection[str] = (),
    wrap: Collection[str] = (),
    fit_px: int = FIT_PX,
) -> dict[str, dict[str, Any]]:
    """Each shown column's options, so that the grid shows every column, none cut, at the
    page's width (at least `fit_px`):
    - `whole` columns (codici fiscali, IO ids, dates) and numbers are never cut nor
      wrapped: at least as wide as their longest value;
    - `wrap` columns hold free text (a subject, an error): they wrap, down to their longest
      word (at most WORD_PX), and ask for their whole text (at most LONG_TEXT_PX, or
      `preferred`) when there is room;
    - the others hold short labels (an outcome, a status, a name): one line, as wide as
      their longest value, like `whole` ones. Only when these lines would not fit in
      `fit_px` beside the others' minimums do the labels that give back the most width wrap
      like free text (a service's name may run to 200 characters).
    Rows are as tall as their wrapped text (row_height.js counts its lines).
    The grid then fits the columns to its width (sizeColumnsToFit, when drawn and when a
    rerun brings new columns), never below a minimum.
    """
    layout: dict[str, dict[str, Any]] = {}
    shown = [c for c in frame.columns if c in labels]
    lines: dict[str, int] = {}  # label -> its one-line width
    for column in shown:
        header = labels[column]
        values = [str(v) for v in frame[column] if v is not None]
        first = FIRST_COLUMN_PX if column == shown[0] else 0
        content = max((text_px(v) for v in values), default=0) + CELL_PAD_PX
        line = max(content, _header_px(header), MIN_PX) + first
        if column in whole or pd.api.types.is_numeric_dtype(frame[column]):
            layout[column] = _one_line(line)
            continue
        words = [w for v in values for w in v.split()] + header.split()
        word = min(max((text_px(w) for w in words), default=0), WORD_PX) + CELL_PAD_PX
        narrowest = max(word, MIN_PX) + first
        wanted = min(max(content, _header_px(header)), LONG_TEXT_PX)
        layout[column] = {
            "minWidth": narrowest,
            "width": max(preferred.get(column, wanted), narrowest),
            "wrapText": True,
            "cellStyle": {
                # A word longer than the column (a file's name) breaks instead of hiding
                # its end.
                "wordBreak": "break-word",
                "lineHeight": f"{LINE_PX}px",
                "paddingTop": f"{WRAP_PAD_PX}px",
                "paddingBottom": f"{WRAP_PAD_PX}px",
            },
        }
        if column not in wrap:
            lines[column] = line
    # The labels on one line while they fit, those that give back the most width first
    # left to wrap (a stable order: the same rows, the same layout).
    spare = fit_px - sum(c["minWidth"] for c in layout.values())
    for column in sorted(lines, key=lambda c: lines[c] - layout[c]["minWidth"]):
        extra = lines[column] - layout[column]["minWidth"]
        if extra <= spare:
            spare -= extra
            layout[column] = _one_line(lines[column], preferred.get(column, 0))
    return layout


def _builder(
    frame: pd.DataFrame,
    labels: dict[str, str],
    widths: Mapping[str, int],
    extra: Mapping[str, dict[str, Any]] | None = None,
    whole: Collection[str] = (),
    pinned: Collection[str] = (),
    wrap: Collection[str] = (),
) -> GridOptionsBuilder:
    """Columns labelled in Italian (the others hidden); `widths` are the preferred widths
    of text columns in pixels; `whole` columns are never wrapped, `wrap` ones hold free text
    (the others short labels: see column_layout); `pinned` ones stay on the left when the
    others scroll sideways (a window narrower than the columns need); `extra` adds options
    per column."""
    builder = GridOptionsBuilder.from_dataframe(frame)
    builder.configure_default_column(filter=False, sortable=False, resizable=True)
    layout = column_layout(frame, labels, widths, whole, wrap)
    for column in frame.columns:
        if column in labels:
            builder.configure_column(
                column,
                header_name=labels[column],
                tooltipField=column,  # long text shows whole on hover
                **layout[column],
                **({"pinned": "left"} if column in pinned else {}),
                **(extra or {}).get(column, {}),
            )
        else:
            builder.configure_column(column, hide=True)
    builder.configure_selection("single")
    wrapped = [c for c, options in layout.items() if options.get("wrapText")]
    builder.configure_grid_options(
        getRowHeight=_ROW_HEIGHT,
        context={
            "wrapped": wrapped,
            "line": LINE_PX,
            "padding": 2 * WRAP_PAD_PX + ROW_BORDERS_PX,
            "frame": CELL_PAD_PX,
        },
        onGridReady=_FIT_COLUMNS,
        onNewColumnsLoaded=_FIT_COLUMNS,  # a rerun's rows laid out again (a filter)
        onColumnResized=_COUNT_ROWS_AGAIN,
        suppressCellFocus=False,
        tooltipShowDelay=300,
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
    whole: Collection[str] = (),
    wrap: Collection[str] = (),
) -> int | None:
    """A small grid (every row at once); returns the id of the selected row, if any.
    `wrap`: the columns of free text (see column_layout)."""
    builder = _builder(frame, labels, widths or {}, whole=whole, wrap=wrap)
    response = AgGrid(
        frame,
        gridOptions=builder.build(),
        key=key,
        height=height,
        update_on=["selectionChanged"],
        show_toolbar=False,
        allow_unsafe_jscode=True,  # only this module's constants
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
    whole: Collection[str] = (),
    pinned: Collection[str] = (),
    wrap: Collection[str] = (),
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
    builder = _builder(frame, labels, widths or {}, sorting, whole, pinned, wrap)
    generation = st.session_state.get(_generation_key(key), 0)
    response = AgGrid(
        frame,
        gridOptions=builder.build(),
        key=f"{key}_{generation}",
        height=height,
        update_on=["selectionChanged", "sortChanged", OPEN],
        show_toolbar=False,
        allow_unsafe_jscode=True,  # only this module's constants
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
