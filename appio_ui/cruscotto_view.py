"""The «Cruscotto»'s widgets: the filters, the figures (number and share), the table of the
groups, and the charts of the trend (Vega-Lite through st.altair_chart, Italian formats)."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from appio_core.errors import AppError
from appio_core.italian import percent, thousands
from appio_core.notifications.stats.figures import (
    FIGURE_LABELS,
    GROUPING_LABELS,
    MONTH_NAMES,
    Figures,
    Grouping,
    MonthFigures,
    Period,
    ReachMonth,
    StatsFilters,
    StatsReport,
)

FILTERS_KEY = "cruscotto_chosen"
ALL_SERVICES = "Tutti i servizi"
MONTHS_OFFERED = 36

# Vega-Lite in Italian: 1.234,5 and month names (the charts' axes and tooltips).
ITALIAN = alt.Locale(
    number=alt.NumberLocale(decimal=",", thousands=".", grouping=[3], currency=["€ ", ""]),
    time=alt.TimeLocale(
        dateTime="%A %e %B %Y, %X",
        date="%d/%m/%Y",
        time="%H:%M:%S",
        periods=["AM", "PM"],
        days=["domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"],
        shortDays=["dom", "lun", "mar", "mer", "gio", "ven", "sab"],
        months=[m for m in MONTH_NAMES],
        shortMonths=[m[:3] for m in MONTH_NAMES],
    ),
)
# The trend's outcomes, stacked: reached green, not on IO grey, blocked amber, errors red,
# uncertain orange (the colours of a flow's bar).
TREND_PARTS: tuple[tuple[str, str, str], ...] = (
    ("delivered", "Consegnati nell'app", "#2e7d32"),
    ("accepted_only", "Accettati, non ancora consegnati", "#81c784"),
    ("not_on_io", "Non su IO", "#8d8d8d"),
    ("service_disabled", "Servizio disattivato", "#c8a13a"),
    ("errors", "Errori", "#c62828"),
    ("uncertain", "Esiti incerti", "#ef6c00"),
)


def _month_options(today: date) -> dict[str, Period]:
    options: dict[str, Period] = {}
    year, month = today.year, today.month
    for _ in range(MONTHS_OFFERED):
        period = Period.month_of(date(year, month, 1))
        options[period.describe()] = period
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return options


def cruscotto_filters(services: dict[str, int], today: date) -> StatsFilters | None:
    """The form; new filters when «Mostra» was pressed with valid ones."""
    months = _month_options(today)
    with st.form("cruscotto_filters"):
        c1, c2, c3 = st.columns(3)
        month = c1.selectbox("Mese", list(months), key="cr_month")
        start = c2.text_input("Dal", key="cr_from", placeholder="gg/mm/aaaa")
        end = c3.text_input("Al", key="cr_to", placeholder="gg/mm/aaaa")
        c4, c5 = st.columns(2)
        service = c4.selectbox("Servizio", [ALL_SERVICES, *services], key="cr_service")
        labels = {label: grouping for grouping, label in GROUPING_LABELS.items()}
        by = c5.selectbox("Raggruppa per", list(labels), index=1, key="cr_by")
        st.caption("Con le date «Dal» e «Al» il periodo è quello; lasciale vuote per il mese.")
        submitted = st.form_submit_button("Mostra", type="primary", icon=":material/bar_chart:")
    if not submitted:
        return None
    try:
        period = Period.typed(start, end, today) if start or end else months[month]
    except AppError as exc:
        st.error(exc.message)
        return None
    service_id = None if service == ALL_SERVICES else services[service]
    return StatsFilters(period, service_id, labels[by])


def default_filters(today: date) -> StatsFilters:
    return StatsFilters(Period.month_of(today), None, Grouping.SERVICE)


def _share(figures: Figures, name: str) -> str:
    share = figures.share(name)
    return "—" if share is None else percent(share, 1)


def show_figures(found: StatsReport) -> None:
    """The period's total: each figure as a number and a share."""
    total = found.total
    names = list(FIGURE_LABELS)
    for row in (names[:5], names[5:]):
        columns = st.columns(5)
        for column, name in zip(columns, row, strict=False):
            value = thousands(getattr(total, name))
            if name != "sent":
                value += f" · {_share(total, name)}"
            column.metric(FIGURE_LABELS[name], value)


def groups_frame(found: StatsReport) -> pd.DataFrame:
    """The groups as the table shows them: Italian numbers and shares, as text."""
    data: dict[str, list[str]] = {GROUPING_LABELS[found.filters.by]: []}
    for name, label in FIGURE_LABELS.items():
        data[label] = []
        if name != "sent":
            data[f"{label} %"] = []
    rows = [(g.label, g.figures) for g in found.groups] + [("Totale", found.total)]
    for label, figures in rows:
        data[GROUPING_LABELS[found.filters.by]].append(label)
        for name, title in FIGURE_LABELS.items():
            data[title].append(thousands(getattr(figures, name)))
            if name != "sent":
                data[f"{title} %"].append(_share(figures, name))
    return pd.DataFrame(data)


def show_groups(found: StatsReport) -> None:
    if not found.groups:
        st.info("Nessun messaggio concluso nel periodo scelto.", icon=":material/info:")
        return
    st.dataframe(groups_frame(found), hide_index=True, width="stretch")


def trend_frame(trend: list[MonthFigures]) -> pd.DataFrame:
    rows = []
    for month in trend:
        f = month.figures
        values = {
            "delivered": f.delivered,
            "accepted_only": f.accepted - f.delivered,
            "not_on_io": f.not_on_io,
            "service_disabled": f.service_disabled,
            "errors": f.errors,
            "uncertain": f.uncertain,
        }
        for order, (key, label, _) in enumerate(TREND_PARTS):
            rows.append(
                {
                    "Mese": _month_short(month.month),
                    "Inizio": month.month.isoformat(),
                    "Esito": label,
                    "Messaggi": values[key],
                    "Quota": values[key] / f.sent if f.sent else 0.0,
                    "Ordine": order,
                }
            )
    return pd.DataFrame(rows)


def _month_short(day: date) -> str:
    return f"{MONTH_NAMES[day.month - 1][:3]} {day.year}"


def trend_chart(trend: list[MonthFigures]) -> alt.Chart:
    frame = trend_frame(trend)
    months = [_month_short(m.month) for m in trend]
    return (
        alt.Chart(frame, title="Messaggi inviati, mese per mese")
        .mark_bar()
        .encode(
            x=alt.X("Mese:N", sort=months, title=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("sum(Messaggi):Q", title="Messaggi", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "Esito:N",
                scale=alt.Scale(
                    domain=[label for _, label, _ in TREND_PARTS],
                    range=[colour for _, _, colour in TREND_PARTS],
                ),
                legend=alt.Legend(title=None, orient="bottom", columns=3),
            ),
            order=alt.Order("Ordine:Q"),
            tooltip=[
                alt.Tooltip("Mese:N"),
                alt.Tooltip("Esito:N"),
                alt.Tooltip("Messaggi:Q", format=",d"),
                alt.Tooltip("Quota:Q", format=".1%", title="Quota degli inviati"),
            ],
        )
        .properties(height=320)
        .configure(locale=ITALIAN)
    )


def reach_frame(months: list[ReachMonth]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Mese": [_month_short(m.month) for m in months],
            "Raggiungibili": [m.share for m in months],
            "Cittadini raggiungibili": [m.reachable for m in months],
            "Cittadini": [m.citizens for m in months],
        }
    )


def reach_chart(months: list[ReachMonth]) -> alt.Chart:
    frame = reach_frame(months)
    order = [_month_short(m.month) for m in months]
    return (
        alt.Chart(frame, title="Cittadini raggiungibili su IO, mese per mese")
        .mark_line(point=True, color="#0066cc")
        .encode(
            x=alt.X("Mese:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y(
                "Raggiungibili:Q",
                title="Quota dei cittadini",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%"),
            ),
            tooltip=[
                alt.Tooltip("Mese:N"),
                alt.Tooltip("Raggiungibili:Q", format=".1%", title="Quota raggiungibile"),
                alt.Tooltip("Cittadini raggiungibili:Q", format=",d"),
                alt.Tooltip("Cittadini:Q", format=",d", title="Cittadini contattati"),
            ],
        )
        .properties(height=280)
        .configure(locale=ITALIAN)
    )


def show_reach(months: list[ReachMonth]) -> None:
    st.subheader("Cittadini raggiungibili")
    st.caption(
        "Dei cittadini (codici fiscali distinti) di cui IO ci ha detto qualcosa nel mese, la"
        " quota che aveva App IO con il servizio attivo: un cittadino conta una volta sola,"
        " qualunque sia il numero dei suoi messaggi."
    )
    last = next((m for m in reversed(months) if m.citizens), None)
    if last is None:
        st.info("Nessun cittadino contattato in questi mesi.", icon=":material/info:")
        return
    share = "—" if last.share is None else percent(last.share, 1)
    st.metric(
        f"Raggiungibili a {MONTH_NAMES[last.month.month - 1]} {last.month.year}",
        f"{share} · {thousands(last.reachable)} su {thousands(last.citizens)}",
    )
    st.altair_chart(reach_chart(months), width="stretch")
