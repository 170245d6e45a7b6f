"""The one place that calls AgGrid, so pages and tests deal with plain DataFrames and ids."""

from __future__ import annotations

import pandas as pd
from st_aggrid import AgGrid, GridOptionsBuilder


def selectable_grid(
    frame: pd.DataFrame,
    key: str,
    *,
    labels: dict[str, str],
    id_column: str = "id",
    height: int = 320,
) -> int | None:
    """Shows `frame` with Italian column labels; returns the id of the selected row, if any.

    Only the columns named in `labels` are visible; `id_column` travels hidden with each row.
    """
    builder = GridOptionsBuilder.from_dataframe(frame)
    builder.configure_default_column(filter=True, sortable=True, resizable=True)
    for column in frame.columns:
        if column in labels:
            builder.configure_column(column, header_name=labels[column])
        else:
            builder.configure_column(column, hide=True)
    builder.configure_selection("single")
    builder.configure_grid_options(
        suppressCellFocus=True, autoSizeStrategy={"type": "fitGridWidth"}
    )
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


def selected_id(selected: pd.DataFrame | None, id_column: str = "id") -> int | None:
    if selected is None or len(selected) == 0 or id_column not in selected:
        return None
    return int(selected.iloc[0][id_column])
