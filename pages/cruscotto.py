"""Cruscotto: what the comune reached in a period, per service, natura or flow, the trend
month by month and the citizens reachable on IO (every operator, on his services)."""

from __future__ import annotations

import streamlit as st

from appio_core.accounts.services import list_services
from appio_core.italian import local_today
from appio_core.notifications.stats.figures import describe, reach, report
from appio_ui.auth import require_actor
from appio_ui.cruscotto_view import (
    FILTERS_KEY,
    cruscotto_filters,
    default_filters,
    show_figures,
    show_groups,
    show_reach,
    trend_chart,
)
from appio_ui.exports import stats_download
from appio_ui.runtime import transaction

actor = require_actor()
st.title("Cruscotto")
today = local_today()
with transaction() as session:
    services = {s.name: s.id for s in list_services(session, actor)}
chosen = cruscotto_filters(services, today)
if chosen is not None:
    st.session_state[FILTERS_KEY] = chosen
filters = st.session_state.get(FILTERS_KEY) or default_filters(today)

with transaction() as session:
    found = report(session, actor, filters)
st.caption(f"{describe(filters, found.scope)}.")
show_figures(found)
show_groups(found)
stats_download(actor, filters)
st.altair_chart(trend_chart(found.trend), width="stretch")
with transaction() as session:
    months = reach(session, actor, filters)
show_reach(months)
