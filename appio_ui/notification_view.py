"""One notification's detail: outcome explained, IO's status and its history, the message
as IO shows it, and what the operator may do with it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from appio_core.accounts.permissions import Actor
from appio_core.content import cta
from appio_core.content.preview import preview_html
from appio_core.domain import NEGATIVE_OUTCOMES, POSITIVE_OUTCOMES, Outcome
from appio_core.errors import AppError
from appio_core.flows import actions
from appio_core.italian import euro, local_time
from appio_core.notifications import single
from appio_core.notifications.detail import NotificationDetail
from appio_core.notifications.labels import FEATURE_LEVEL_LABELS
from appio_core.notifications.status_refresh import refresh_status
from appio_ui.feedback import flash_and_rerun
from appio_ui.message_preview import buttons_html
from appio_ui.runtime import keybox, sessionmaker_, settings, transaction

DASH = "—"


def show_detail(actor: Actor, detail: NotificationDetail) -> None:
    _outcome(detail)
    _facts(detail)
    st.subheader("Messaggio")
    if detail.purge_note is not None:
        st.info(
            f"{detail.purge_note}: il contenuto, le colonne del file e il numero avviso non sono"
            " più conservati (l'oggetto solo se era lo stesso per tutto il flusso), e il codice"
            " fiscale è sostituito da uno pseudonimo. Esito e stato restano.",
            icon=":material/delete_sweep:",
        )
    if detail.subject:
        st.markdown(f"**Oggetto:** {_escape(detail.subject)}")
    if detail.markdown:
        st.markdown("**Contenuto:**")
        with st.container(border=True):
            st.html(preview_html(detail.markdown) + buttons_html(detail.buttons))
    _history(detail)
    _actions(actor, detail)


def _escape(text: str) -> str:
    """Text shown through st.markdown as it is: no Markdown of its own."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+-.!<>|~" else c for c in text)


def _outcome(d: NotificationDetail) -> None:
    text = f"**Esito: {d.outcome.value}.** {d.outcome_explained}"
    if d.error_detail:
        text += f"  \n{_escape(d.error_detail)}"
    if d.outcome in POSITIVE_OUTCOMES:
        st.success(text, icon=":material/check_circle:")
    elif d.outcome in (Outcome.ERROR, Outcome.REJECTED):
        st.error(text, icon=":material/error:")
    elif d.outcome in NEGATIVE_OUTCOMES:
        st.warning(text, icon=":material/warning:")
    else:
        st.info(text, icon=":material/schedule:")


def _facts(d: NotificationDetail) -> None:
    status = d.io_status + (f" – {d.io_status_explained}" if d.io_status_explained else "")
    facts = {
        "Codice fiscale": f"{d.fiscal_code} (pseudonimo)" if d.purged else d.fiscal_code,
        "Creata il": local_time(d.created_at),
        "Inviata il": local_time(d.sent_at) or DASH,
        **({"Invio programmato": local_time(d.send_after)} if d.send_after else {}),
        "ID messaggio IO": d.io_message_id or DASH,
        "Codice HTTP": str(d.http_status) if d.http_status else DASH,
        "Tentativi": str(d.attempts),
        "Stato su IO": status,
        "Stato Mail": d.email_status,
        "Lettura": d.read_status,
        "Pagamento": d.payment_status,
        "Importo": euro(d.amount) or DASH,
        "Numero avviso": d.notice_number or DASH,
        "Scadenza": local_time(d.due_date) or DASH,
        **({"Pagabile dopo la scadenza": "No"} if d.invalid_after_due_date else {}),
        "Tipo di messaggio": FEATURE_LEVEL_LABELS[d.feature_level],
        "Pulsanti": cta.describe(d.buttons) or DASH,
        "Canale sicuro": "Sì (niente e-mail, notifica push senza contenuto)"
        if d.secure_channel
        else "No",
        "Ultima lettura dello stato": local_time(d.status_checked_at) or DASH,
        "Prossima lettura automatica": local_time(d.next_status_check_at) or DASH,
    }
    st.table(pd.DataFrame({"Voce": list(facts), "Valore": list(facts.values())}).set_index("Voce"))


def _history(d: NotificationDetail) -> None:
    st.subheader("Cronologia")
    moments = [(d.created_at, "Registrata", DASH, DASH)]
    if d.sent_at:
        moments.append((d.sent_at, "Accettata da IO", DASH, DASH))
    moments += [(e.at, e.io_status, e.email_status, e.read_status or DASH) for e in d.history]
    st.table(
        pd.DataFrame(
            {
                "Quando": [local_time(m[0]) for m in moments],
                "Stato su IO": [m[1] for m in moments],
                "Stato Mail": [m[2] for m in moments],
                "Lettura": [m[3] for m in moments],
            }
        ).set_index("Quando")
    )


def _actions(actor: Actor, d: NotificationDetail) -> None:
    if not actor.can_send:  # «consultazione» changes nothing, IO's status in the archive too
        return
    columns = st.columns(3)
    if (
        d.io_message_id
        and not d.purged
        and columns[0].button("Aggiorna stato", icon=":material/refresh:")
    ):
        try:
            refresh_status(sessionmaker_(), actor, d.id, keybox(), settings().io_base_url)
        except AppError as exc:
            st.error(exc.message)
        else:
            flash_and_rerun("Stato letto da IO ora.")
    if d.outcome == Outcome.UNCERTAIN:
        st.warning(
            "Esito incerto: scegli se inviare di nuovo il messaggio (il cittadino potrebbe"
            " riceverlo due volte) o segnarlo come inviato."
        )
        if not d.purged and columns[1].button("Reinvia", icon=":material/replay:"):
            _resend(actor, d)
        if columns[2].button("Segna come inviata", icon=":material/done:"):
            _mark_sent(actor, d)
    elif d.can_resend and columns[1].button("Invia di nuovo", icon=":material/send:"):
        _resend(actor, d)


def _resend(actor: Actor, d: NotificationDetail) -> None:
    try:
        if d.flow_id is None:
            single.resend(sessionmaker_(), actor, d.id, keybox(), settings().io_base_url)
            message = "Notifica inviata di nuovo: vedi l'esito qui sotto."
        else:
            with transaction() as session:
                actions.resend_uncertain(session, actor, d.flow_id, [d.id])
            message = "Il destinatario sarà inviato di nuovo con il flusso."
    except AppError as exc:
        st.error(exc.message)
    else:
        flash_and_rerun(message)


def _mark_sent(actor: Actor, d: NotificationDetail) -> None:
    try:
        with transaction() as session:
            if d.flow_id is None:
                single.mark_sent(session, actor, d.id)
            else:
                actions.mark_uncertain_sent(session, actor, d.flow_id, [d.id])
    except AppError as exc:
        st.error(exc.message)
    else:
        flash_and_rerun("Notifica segnata come inviata.")
