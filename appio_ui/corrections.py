"""«Rettifica» on a flow's page and on a single notification's: the links between an
original and its corrections, and the forms that make a correction (appio_core's
flows.correction and notifications.corrections do the work)."""

from __future__ import annotations

import uuid

import streamlit as st

from appio_core.accounts.permissions import Actor
from appio_core.content.correction import correction_subject, too_long
from appio_core.errors import AppError
from appio_core.flows.correction import (
    CORRECTABLE_STATES,
    FlowCorrection,
    correct_flow,
    correction_name,
    file_columns,
)
from appio_core.flows.fields import NAME_LENGTH
from appio_core.flows.queries import FlowView
from appio_core.notifications.content import FIELD_LABELS, FieldErrors
from appio_core.notifications.corrections import correct_notification, correction_draft
from appio_core.notifications.detail import NotificationDetail
from appio_ui.attempt import attempt
from appio_ui.notification_form import show_send_result
from appio_ui.runtime import keybox, sessionmaker_, settings, transaction

FLOW_PAGE = "pages/flusso.py"
NOTIFICATION_PAGE = "pages/notifica.py"
CANNOT_CHANGE = (
    "IO non permette di cancellare né di cambiare un messaggio già inviato: la rettifica è"
    " un nuovo messaggio, che il cittadino riconosce dall'oggetto che comincia con"
    " «Rettifica: »."
)
_FLASH = "flash_message"  # appio_ui.feedback's: shown on the page switched to


def _links(page: str, param: str, corrects: int | None, by: tuple[int, ...], noun: str) -> None:
    if corrects:
        st.page_link(
            page,
            label=f"Rettifica di n. {corrects}: apri {noun} originale",
            icon=":material/history:",
            query_params={param: str(corrects)},
        )
    for later in by:
        st.page_link(
            page,
            label=f"Rettificata da n. {later}: apri la rettifica",
            icon=":material/edit_note:",
            query_params={param: str(later)},
        )


def flow_links(view: FlowView) -> None:
    _links(FLOW_PAGE, "flusso", view.corrects_flow_id, view.corrected_by, "il flusso")


def notification_links(detail: NotificationDetail) -> None:
    _links(
        NOTIFICATION_PAGE,
        "notifica",
        detail.corrects_notification_id,
        detail.corrected_by,
        "la notifica",
    )


# ---- a flow ----------------------------------------------------------------------------------


def flow_correction_section(actor: Actor, view: FlowView) -> None:
    """«Rettifica» for a flow that has sent, to an operator who may send on its service."""
    if not actor.can_send or view.state not in CORRECTABLE_STATES or not view.progress.reached:
        return
    with st.expander("Rettifica", icon=":material/edit_note:", key=f"correct_{view.id}"):
        st.info(
            f"{CANNOT_CHANGE} Si crea un nuovo flusso, «Inattivo», per i soli"
            f" {view.progress.reached} destinatari che IO ha accettato, con i valori del file"
            " originale; poi lo attivi e lo invii come ogni flusso.",
            icon=":material/info:",
        )
        with transaction() as session:
            columns = file_columns(session, actor, view.id)
        named = ", ".join(f"{{{{{c}}}}}" for c in columns) or "nessuno"
        proposed = correction_subject(view.subject_template) if view.subject_template else ""
        if proposed and "{{" not in proposed and (why := too_long(proposed)):
            st.warning(why)
        with st.form(f"correct_flow_{view.id}"):
            name = st.text_input(
                "Nome del nuovo flusso", value=correction_name(view.name), max_chars=NAME_LENGTH
            )
            subject = st.text_input(
                "Oggetto (modello)",
                value=proposed,
                help="Vuoto: l'oggetto originale di ogni destinatario, con «Rettifica: »"
                f" davanti. Segnaposto disponibili: {named}.",
            )
            text = st.text_area(
                "Testo della rettifica (modello, Markdown)",
                placeholder="Che cosa è cambiato rispetto al messaggio precedente.",
                help=f"Da 120 a 10.000 caratteri. Segnaposto disponibili: {named}.",
                height=150,
            )
            made = st.form_submit_button("Crea la rettifica", type="primary", icon=":material/add:")
        st.caption(f"Segnaposto disponibili, dal file originale: {named}.")
    if not made:
        return
    created = attempt(
        lambda session: correct_flow(
            session, actor, view.id, text_template=text, subject_template=subject, name=name
        )
    )
    if created is not None:
        _open_flow(created)


def _open_flow(created: FlowCorrection) -> None:
    st.session_state[_FLASH] = (
        f"Rettifica creata: flusso n. {created.flow_id}, {created.recipients} destinatari."
        " Controlla l'anteprima, poi «Attiva» e «Invia»."
    )
    st.session_state["flow_id"] = created.flow_id
    st.switch_page(FLOW_PAGE, query_params={"flusso": str(created.flow_id)})


# ---- a single notification ---------------------------------------------------------------------


def _key(detail: NotificationDetail, name: str) -> str:
    return f"correct_{detail.id}_{name}"


def correction_result(detail: NotificationDetail) -> None:
    """The outcome of the correction just sent from this page, once."""
    done = st.session_state.pop(_key(detail, "result"), None)
    if done is not None:
        st.markdown("**Rettifica inviata**")
        show_send_result(done)


def notification_correction_section(actor: Actor, detail: NotificationDetail) -> None:
    """«Rettifica» for a single notification IO accepted: sent at once, like «Nuovo»."""
    if not actor.can_send or not detail.can_correct:
        return
    with st.expander("Rettifica", icon=":material/edit_note:", key=_key(detail, "open")):
        st.info(
            f"{CANNOT_CHANGE} La rettifica parte subito, allo stesso cittadino, sullo stesso"
            " servizio, e resta collegata a questa notifica.",
            icon=":material/info:",
        )
        try:
            with transaction() as session:
                draft = correction_draft(session, actor, detail.id)
        except AppError as exc:
            st.error(exc.message)
            return
        if draft.subject_too_long:
            st.warning(draft.subject_too_long)
        with st.form(f"correct_notification_{detail.id}"):
            subject = st.text_input("Oggetto", value=draft.subject, key=_key(detail, "subject"))
            text = st.text_area(
                "Testo della rettifica (Markdown)",
                placeholder="Che cosa è cambiato rispetto al messaggio precedente.",
                help="Da 120 a 10.000 caratteri.",
                height=150,
                key=_key(detail, "text"),
            )
            sent = st.form_submit_button(
                "Invia la rettifica", type="primary", icon=":material/send:"
            )
    if sent:
        _send(actor, detail, subject, text)


def _send(actor: Actor, detail: NotificationDetail, subject: str, text: str) -> None:
    state = st.session_state
    request_key = state.setdefault(_key(detail, "request"), uuid.uuid4().hex)
    try:
        with st.spinner("Invio a IO…"):
            result = correct_notification(
                sessionmaker_(),
                actor,
                detail.id,
                subject=subject,
                text=text,
                box=keybox(),
                base_url=settings().io_base_url,
                request_key=request_key,
            )
    except FieldErrors as exc:
        st.error("; ".join(f"{FIELD_LABELS.get(k, k)}: {v}" for k, v in exc.fields.items()))
        return
    except AppError as exc:
        st.error(exc.message)
        return
    for name in ("request", "subject", "text"):
        state.pop(_key(detail, name), None)
    state[_key(detail, "result")] = result  # shown above, on the page drawn again
    st.rerun()
