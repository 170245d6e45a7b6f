"""A flow's recipients: a filtered grid, one recipient's detail, decisions on uncertain rows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from appio_core.accounts.permissions import Actor
from appio_core.domain import OUTCOME_DESCRIPTIONS, Outcome
from appio_core.errors import AppError
from appio_core.flows import actions, queries
from appio_core.storage.models import Notification
from appio_ui.feedback import flash_and_rerun
from appio_ui.format import euro, local_time
from appio_ui.grid import selectable_grid
from appio_ui.runtime import transaction

ALL = "Tutti"
SHOWN = 1000
LABELS = {
    "row_number": "Riga",
    "fiscal_code": "Codice fiscale",
    "outcome": "Esito",
    "error_detail": "Dettaglio",
    "io_message_id": "ID messaggio IO",
    "email_status": "Stato e-mail",
    "attempts": "Tentativi",
    "sent_at": "Inviato il",
}


def _email_status(r: Notification, long: bool = False) -> str:
    """IO stopped returning the e-mail status in July 2026: unknown, not missing."""
    if r.email_status:
        return r.email_status
    if not r.io_message_id:
        return "—"  # no message, no e-mail
    return "sconosciuto (IO non lo comunica)" if long else "sconosciuto"


def recipients_section(actor: Actor, flow_id: int) -> None:
    c1, c2 = st.columns(2)
    outcome = c1.selectbox("Esito", [ALL, *(o.value for o in Outcome)], key="outcome_filter")
    code = c2.text_input("Codice fiscale", key="cf_filter")
    with transaction() as session:
        rows = queries.list_recipients(
            session,
            actor,
            flow_id,
            outcome=None if outcome == ALL else Outcome(outcome),
            fiscal_code=code,
            limit=SHOWN,
        )
    if not rows:
        st.info("Nessun destinatario corrisponde ai filtri.")
        return
    frame = pd.DataFrame(
        {
            "id": [r.id for r in rows],
            "row_number": [r.row_number for r in rows],
            "fiscal_code": [r.fiscal_code for r in rows],
            "outcome": [r.outcome for r in rows],
            "error_detail": [r.error_detail or "" for r in rows],
            "io_message_id": [r.io_message_id or "" for r in rows],
            "email_status": [_email_status(r) for r in rows],
            "attempts": [r.attempts for r in rows],
            "sent_at": [local_time(r.sent_at) for r in rows],
        }
    )
    if len(rows) == SHOWN:
        st.caption(f"Sono mostrati i primi {SHOWN} destinatari: usa i filtri o l'Excel.")
    selected = selectable_grid(frame, f"recipients_{flow_id}", labels=LABELS, height=360)
    chosen = next((r for r in rows if r.id == selected), None)
    if chosen is not None:
        _detail(actor, flow_id, chosen)


def _detail(actor: Actor, flow_id: int, r: Notification) -> None:
    st.subheader(f"Notifica a {r.fiscal_code} (riga {r.row_number})")
    st.markdown(f"**Esito:** {r.outcome} — {OUTCOME_DESCRIPTIONS[Outcome(r.outcome)]}")
    if r.error_detail:
        st.markdown(f"**Dettaglio:** {r.error_detail}")
    facts = {
        "ID messaggio IO": r.io_message_id or "—",
        "Stato su IO": r.io_status or "—",
        "Stato mail": _email_status(r, long=True),
        "Lettura": r.read_status or "—",
        "Pagamento": r.payment_status or "—",
        "Importo": euro(r.amount) or "—",
        "Numero avviso": r.notice_number or "—",
        "Scadenza": r.due_date or "—",
        "Tentativi": str(r.attempts),
        "Inviato il": local_time(r.sent_at) or "—",
        "Codice HTTP": str(r.http_status or "—"),
    }
    st.table(pd.DataFrame({"": list(facts), "Valore": list(facts.values())}))
    st.markdown(f"**Oggetto:** {r.subject}")
    with st.container(border=True):
        st.markdown(r.markdown)
    if r.outcome == Outcome.UNCERTAIN and actor.can_send:
        _uncertain_buttons(actor, flow_id, r.id)


def _uncertain_buttons(actor: Actor, flow_id: int, recipient_id: int) -> None:
    st.warning(OUTCOME_DESCRIPTIONS[Outcome.UNCERTAIN])
    c1, c2 = st.columns(2)
    decision = None
    if c1.button("Reinvia", icon=":material/replay:"):
        decision = actions.resend_uncertain, "Il destinatario sarà reinviato."
    if c2.button("Segna come inviato", icon=":material/done:"):
        decision = actions.mark_uncertain_sent, "Destinatario segnato come inviato."
    if decision is None:
        return
    action, message = decision
    try:
        with transaction() as session:
            action(session, actor, flow_id, [recipient_id])
    except AppError as exc:
        st.error(exc.message)
    else:
        flash_and_rerun(message)
