"""A flow's outcomes as one coloured bar: who was reached, who cannot be, what failed."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from appio_core.flows.outcomes import OutcomeGroup, breakdown
from appio_core.flows.queries import FlowProgress

# Reached green; the citizens IO cannot reach grey and amber (not a failure of the send);
# errors red; uncertain orange; still to send light grey.
COLOURS: dict[OutcomeGroup, str] = {
    OutcomeGroup.REACHED: "#2e7d32",
    OutcomeGroup.NOT_ON_IO: "#8d8d8d",
    OutcomeGroup.BLOCKED: "#c8a13a",
    OutcomeGroup.ERROR: "#c62828",
    OutcomeGroup.UNCERTAIN: "#ef6c00",
    OutcomeGroup.WAITING: "#d9d9d9",
}


def outcome_frame(progress: FlowProgress) -> pd.DataFrame:
    rows = breakdown(progress)
    total = max(progress.total, 1)
    return pd.DataFrame(
        {
            "Esito": [group.value for group, _ in rows],
            "Destinatari": [count for _, count in rows],
            "Quota": [count / total for _, count in rows],
            "Ordine": list(range(len(rows))),
        }
    )


def outcome_chart(progress: FlowProgress) -> None:
    frame = outcome_frame(progress)
    groups = list(COLOURS)
    chart = (
        alt.Chart(frame)
        .mark_bar(height=28)
        .encode(
            x=alt.X("sum(Destinatari):Q", stack="zero", title=None, axis=None),
            color=alt.Color(
                "Esito:N",
                scale=alt.Scale(
                    domain=[g.value for g in groups], range=[COLOURS[g] for g in groups]
                ),
                legend=alt.Legend(orient="bottom", title=None, columns=3),
            ),
            order=alt.Order("Ordine:Q"),
            tooltip=[
                alt.Tooltip("Esito:N"),
                alt.Tooltip("Destinatari:Q", format=",d"),
                alt.Tooltip("Quota:Q", format=".1%"),
            ],
        )
        .properties(height=60)
    )
    st.altair_chart(chart, width="stretch")
