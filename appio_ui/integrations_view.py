"""«Integrazioni» (administrators): the comune's other systems that call the API, each with
its key; a new integration's key (and webhook secret) shown once; «Revoca»."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.integrations.keys import (
    CreatedIntegration,
    IntegrationView,
    NewIntegration,
    create_integration,
    revoke_integration,
)
from appio_core.integrations.scopes import Scope
from appio_core.italian import (
    counted,
    end_of_local_day,
    local_date,
    local_time,
    local_time_seconds,
    local_today,
)
from appio_core.webhooks.log import DeliveryRow, redeliver
from appio_core.webhooks.log import delivery_log as read_delivery_log
from appio_core.webhooks.models import DeliveryState
from appio_ui import grid
from appio_ui.attempt import attempt
from appio_ui.forms import clear_form, form_key
from appio_ui.navigation import arrived
from appio_ui.runtime import keybox

LABELS = {
    "name": "Nome",
    "services": "Servizi",
    "scopes": "Permessi",
    "key_hint": "Chiave",
    "state": "Stato",
    "expires": "Scadenza",
    "last_used": "Ultimo uso",
    "webhook_url": "Webhook",
}
# Lists and addresses, wrapped to fit; the other columns are short labels on one line.
WRAP = frozenset({"services", "scopes", "webhook_url"})
NEW_FORM = "new_integration"
# The integration just created, with its key in clear: kept in this browser session only,
# until the administrator says it is saved or leaves the page. The database has its hash.
CREATED = "integration_created"


def frame(rows: list[IntegrationView]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [r.id for r in rows],
            "name": [r.name for r in rows],
            "services": [", ".join(r.services) for r in rows],
            # In the enum's order (send, read, manage, read flows), the same on every row.
            "scopes": [", ".join(s.label for s in Scope if s in r.scopes) for r in rows],
            "key_hint": [f"{r.key_hint}…" for r in rows],
            "state": [r.state for r in rows],
            "expires": [local_date(r.expires_at) or "—" for r in rows],
            "last_used": [local_time(r.last_used_at) or "mai" for r in rows],
            "webhook_url": [r.webhook_url or "—" for r in rows],
        },
        columns=["id", *LABELS],
    )


def integrations_table(rows: list[IntegrationView]) -> IntegrationView | None:
    """Every integration; returns the one selected in the grid."""
    if not rows:
        st.info("Nessuna integrazione: creane una con «Nuova integrazione».")
        return None
    selected = grid.selectable_grid(frame(rows), "integrations_grid", labels=LABELS, wrap=WRAP)
    return next((r for r in rows if r.id == selected), None)


def show_created_once() -> None:
    """The key of the integration just created, the only time it is ever shown."""
    if arrived():  # back from another page: the key is gone for good
        st.session_state.pop(CREATED, None)
    made: CreatedIntegration | None = st.session_state.get(CREATED)
    if made is None:
        return
    with st.container(border=True):
        st.warning(
            f"Chiave dell'integrazione «{made.name}»: copiala ora e consegnala a chi"
            " configura il sistema. **Non verrà mostrata di nuovo**: IO Flussi ne conserva"
            " solo un'impronta. Se va persa, revoca l'integrazione e creane un'altra.",
            icon=":material/warning:",
        )
        st.code(made.key, language=None)
        if made.webhook_secret:
            st.markdown(
                "Segreto per verificare la firma dei webhook (anche questo mostrato solo ora):"
            )
            st.code(made.webhook_secret, language=None)
        if st.button("Ho conservato la chiave", icon=":material/check:"):
            st.session_state.pop(CREATED, None)
            st.rerun()


def revoke_button(actor: Actor, chosen: IntegrationView) -> None:
    """«Revoca» for the chosen integration, after a confirmation."""
    if chosen.revoked_at is not None:
        st.caption(f"L'integrazione «{chosen.name}» è revocata.")
        return
    with st.popover(f"Revoca «{chosen.name}»", icon=":material/block:"):
        st.write(
            f"La chiave di «{chosen.name}» smetterà di funzionare subito e per sempre: il"
            " sistema che la usa non potrà più chiamare l'API. Per riprendere servirà una"
            " nuova integrazione, con una nuova chiave."
        )
        if st.button("Conferma revoca", type="primary", key=f"revoke_{chosen.id}"):
            attempt(
                lambda session: revoke_integration(session, actor, chosen.name),
                success=f"Integrazione «{chosen.name}» revocata: la sua chiave non è più valida.",
            )


DELIVERY_LABELS = {
    "created": "Evento del",
    "type": "Evento",
    "subject": "Riguarda",
    "state": "Consegna",
    "attempts": "Tentativi",
    "last": "Ultimo esito",
    "next": "Prossimo tentativo",
    "event_id": "Identificativo (webhook-id)",
}
DELIVERY_WRAP = frozenset({"last"})  # when, and the error: free text


def delivery_frame(rows: list[DeliveryRow]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [r.id for r in rows],
            "created": [local_time_seconds(r.created_at) for r in rows],
            "type": [r.type_label for r in rows],
            "subject": [r.subject for r in rows],
            "state": [r.state.value for r in rows],
            "attempts": [r.attempts for r in rows],
            "last": [_last_outcome(r) for r in rows],
            "next": [
                local_time(r.next_attempt_at) if r.state is DeliveryState.PENDING else "—"
                for r in rows
            ],
            "event_id": [r.event_id for r in rows],
        },
        columns=["id", *DELIVERY_LABELS],
    )


def _last_outcome(row: DeliveryRow) -> str:
    if row.last_attempt_at is None:
        return "—"
    when = local_time(row.last_attempt_at)
    if row.last_error:
        return f"{when}: {row.last_error}"
    return f"{when}: risposta {row.last_status}" if row.last_status else when


def delivery_log(actor: Actor, chosen: IntegrationView) -> None:
    """The chosen integration's webhook deliveries, newest first, with «Reinvia» for an
    event whose 24 hours of attempts ran out."""
    st.subheader(f"Webhook di «{chosen.name}»")
    if chosen.webhook_url is None:
        st.caption("Questa integrazione non ha un indirizzo per i webhook: nessun evento.")
        return
    rows = attempt(lambda session: read_delivery_log(session, actor, chosen.id))
    if rows is None:
        return
    if not rows:
        st.caption(
            f"Nessun evento ancora: arriveranno a {chosen.webhook_url} quando cambia lo stato"
            " di una notifica o di un flusso creati da questa integrazione."
        )
        return
    st.caption(
        f"Eventi per {chosen.webhook_url}: {counted(len(rows), 'evento', 'eventi')}, i più"
        " recenti in alto. Un evento non consegnato è ritentato per 24 ore; dopo, «Reinvia»"
        " lo rimette in coda."
    )
    selected = grid.selectable_grid(
        delivery_frame(rows),
        f"deliveries_grid_{chosen.id}",
        labels=DELIVERY_LABELS,
        wrap=DELIVERY_WRAP,
    )
    event = next((r for r in rows if r.id == selected), None)
    if event is None or not event.redeliverable:
        st.caption("Seleziona un evento «fallito» per inviarlo di nuovo.")
        return
    if st.button(f"Reinvia {event.type_label.lower()} ({event.subject})", icon=":material/send:"):
        attempt(
            lambda session: redeliver(session, actor, event.event_id),
            success="Evento rimesso in coda: il worker lo invia entro pochi secondi.",
        )


def new_integration_form(actor: Actor, services: dict[str, int], *, expanded: bool) -> None:
    """The form «Nuova integrazione»; refusals of the core shown under it, in Italian."""
    with st.expander("Nuova integrazione", icon=":material/add_link:", expanded=expanded):
        # Not cleared on submit: after a refusal what was typed is still there.
        with st.form(form_key(NEW_FORM), clear_on_submit=False):
            name = st.text_input(
                "Nome", help="Il sistema che userà la chiave, es. «Tributi» o «Mensa scolastica»."
            )
            chosen = st.multiselect(
                "Servizi",
                list(services),
                placeholder="Scegli uno o più servizi",
                help="I soli servizi su cui l'integrazione potrà inviare e leggere.",
            )
            st.markdown("**Permessi**")
            scopes = [scope for scope in Scope if st.checkbox(scope.label, value=True)]
            url = st.text_input(
                "Indirizzo del webhook (facoltativo)",
                placeholder="https://tributi.comune.it/io-flussi",
                help="Dove IO Flussi invia gli eventi firmati (notifica consegnata, letta,"
                " pagata, flusso cambiato di stato). Vuoto: nessun webhook.",
            )
            expiry = st.date_input(
                "Scadenza della chiave (facoltativa)",
                value=None,
                min_value=local_today(),
                max_value=local_today() + timedelta(days=3650),
                format="DD/MM/YYYY",
                help="L'ultimo giorno di validità. Vuota: la chiave vale finché non è revocata.",
            )
            submitted = st.form_submit_button("Crea integrazione", type="primary")
        if submitted:
            data = NewIntegration(
                name=name,
                service_ids=tuple(services[s] for s in chosen),
                scopes=frozenset(scopes),
                webhook_url=url.strip() or None,
                expires_at=end_of_local_day(expiry) if isinstance(expiry, date) else None,
            )
            _create(actor, data)


def _create(actor: Actor, data: NewIntegration) -> None:
    def create(session: Session) -> CreatedIntegration:
        made = create_integration(session, actor, data, keybox())
        clear_form(NEW_FORM)  # reached only when saved
        return made

    def kept(made: CreatedIntegration) -> str:
        st.session_state[CREATED] = made
        return f"Integrazione «{made.name}» creata."

    attempt(create, success=kept)
