"""A flow's outcomes as one coloured bar: who was reached, who cannot be, what failed."""

from __future__ import annotations

import html

import altair as alt
import pandas as pd
import streamlit as st

from appio_core.flows.outcomes import OutcomeGroup, breakdown
from appio_core.flows.queries import FlowProgress
from appio_core.italian import thousands

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
                legend=None,  # drawn below in HTML: Streamlit's bar height clipped it
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
    st.html(legend_html(frame))


def legend_html(frame: pd.DataFrame) -> str:
    """The bar's key, with each group's count: «■ raggiunti 16 · ■ non usano IO 3 ...»."""
    colour = {group.value: COLOURS[group] for group in COLOURS}
    items = [
        f'<span style="white-space:nowrap"><span style="color:{colour[name]}">&#9632;</span>'
        f" {html.escape(name)} {thousands(int(count))}</span>"
        for name, count in zip(frame["Esito"], frame["Destinatari"], strict=True)
        if count
    ]
    return f'<div style="font-size:0.9rem">{" &nbsp;·&nbsp; ".join(items)}</div>'
