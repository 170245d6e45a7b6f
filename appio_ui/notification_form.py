"""«Nuovo»: the composer of one message. Fields are plain widgets (not a form) so that each
is checked as soon as the operator leaves it, and nothing typed is lost on an error."""

from __future__ import annotations

import uuid

import streamlit as st

from appio_core.accounts.permissions import Actor
from appio_core.content import cta
from appio_core.content.lengths import ContentRules
from appio_core.content.message import text_length
from appio_core.domain import POSITIVE_OUTCOMES, FeatureLevel, Outcome
from appio_core.errors import AppError
from appio_core.italian import counted, thousands
from appio_core.notifications.content import (
    AMOUNT,
    BUTTONS,
    DUE_DATE,
    FISCAL_CODE,
    NOTICE_NUMBER,
    SUBJECT,
    TEXT,
    FieldErrors,
    check_fiscal_code,
)
from appio_core.notifications.recipient_check import check_recipient
from appio_core.notifications.single import NewNotification, SingleResult, send_new
from appio_core.templates.queries import TemplateVersionView
from appio_ui import cta_fields
from appio_ui.message_preview import message_preview
from appio_ui.navigation import arrived
from appio_ui.runtime import keybox, sessionmaker_, settings
from appio_ui.template_use import chosen_template, forget_template, template_picker
from appio_ui.unexpected import guarded

PREFIX = "nn_"
FIELDS = (
    "service", "cf", "subject", "text", "amount", "notice", "due", "advanced",
    *cta_fields.field_names(""),
)  # fmt: skip
ERRORS_KEY = f"{PREFIX}errors"
RESULT_KEY = f"{PREFIX}result"
REQUEST_KEY = f"{PREFIX}request_key"
# The core's rules (appio_core.content.lengths): the counters say what «Aggiungi» checks.
RULES = ContentRules()


@guarded
def new_message() -> None:
    """«Nuova notifica»: empty fields, a new request key (the next «Aggiungi» sends again)."""
    for name in FIELDS:
        st.session_state.pop(PREFIX + name, None)
    for name in (ERRORS_KEY, RESULT_KEY, REQUEST_KEY):
        st.session_state.pop(name, None)
    forget_template(PREFIX)


def _fill(used: TemplateVersionView) -> None:
    """«Usa un modello»: subject, text, level, buttons and «Canale sicuro»; its
    placeholders are the operator's to replace (one message has no file to fill them)."""
    st.session_state[PREFIX + "subject"] = used.fields.subject_template
    st.session_state[PREFIX + "text"] = used.fields.text_template
    st.session_state[PREFIX + "advanced"] = used.fields.feature_level == FeatureLevel.ADVANCED
    cta_fields.fill(PREFIX, used.fields.buttons, used.fields.require_secure_channels)


def _request_key() -> str:
    if REQUEST_KEY not in st.session_state:
        st.session_state[REQUEST_KEY] = uuid.uuid4().hex
    return str(st.session_state[REQUEST_KEY])


def _errors() -> dict[str, str]:
    errors: dict[str, str] = st.session_state.setdefault(ERRORS_KEY, {})
    return errors


@guarded
def _check_code() -> None:
    """On leaving the field: the codice fiscale's format, check character and birth date."""
    value = st.session_state.get(PREFIX + "cf", "")
    errors = _errors()
    errors.pop(FISCAL_CODE, None)
    if value.strip():
        try:
            check_fiscal_code(value)
        except AppError as exc:
            errors[FISCAL_CODE] = exc.message


def _counter(value: str, low: int, high: int) -> None:
    """The length as IO counts it (an emoji counts two), against the limits."""
    n = text_length(value.strip())
    limits = f"da {thousands(low)} a {thousands(high)}"
    if n < low:
        st.caption(
            f":orange[{counted(n, 'carattere', 'caratteri')}: ne servono almeno"
            f" {thousands(low)} ({limits}).]"
        )
    elif n > high:
        st.caption(
            f":red[{counted(n, 'carattere', 'caratteri')}: al massimo"
            f" {thousands(high)} ({limits}).]"
        )
    else:
        st.caption(f":green[{counted(n, 'carattere', 'caratteri')} ({limits}).]")


def _field_error(name: str) -> None:
    message = _errors().get(name)
    if message:
        st.error(message, icon=":material/error:")


def composer(actor: Actor, services: dict[str, int]) -> None:
    if arrived() and st.session_state.get(RESULT_KEY) is not None:
        # Come back («Nuovo», the sidebar) after a send: a new message, not the last outcome
        # above a locked form (the outcome stays in the archive).
        new_message()
    sent: SingleResult | None = st.session_state.get(RESULT_KEY)
    locked = sent is not None
    st.selectbox(
        "Servizio",
        list(services),
        index=None,
        placeholder="Cerca il servizio…",
        key=PREFIX + "service",
        help="Scrivi parte del nome per cercarlo.",
        disabled=locked,
    )
    st.text_input(
        "Codice fiscale",
        key=PREFIX + "cf",
        on_change=_check_code,
        placeholder="RSSMRA85T10A562S",
        disabled=locked,
    )
    _field_error(FISCAL_CODE)
    chosen = st.session_state.get(PREFIX + "service")
    if chosen is not None and not locked:
        template_picker(actor, services[chosen], PREFIX, _fill)
    subject = st.text_input("Oggetto", key=PREFIX + "subject", disabled=locked)
    _counter(subject, *RULES.bounds(subject=True))
    _field_error(SUBJECT)
    text = st.text_area(
        "Contenuto (Markdown)",
        key=PREFIX + "text",
        height=220,
        disabled=locked,
        help="Grassetto: **parola**; elenco: righe che iniziano con «- »;"
        " link: [testo](indirizzo).",
    )
    buttons, buttons_error = cta_fields.checked_buttons(PREFIX)
    _counter(text, *cta.content_rules(buttons, RULES).bounds(subject=False))
    _field_error(TEXT)
    with st.expander("Avviso di pagamento e scadenza (facoltativi)"):
        c1, c2, c3 = st.columns(3)
        c1.text_input("Importo (€)", key=PREFIX + "amount", placeholder="1.234,56", disabled=locked)
        c2.text_input(
            "Numero avviso", key=PREFIX + "notice", placeholder="18 cifre", disabled=locked
        )
        c3.text_input(
            "Scadenza", key=PREFIX + "due", placeholder="gg/mm/aaaa o gg/mm/aaaa hh:mm",
            disabled=locked,
        )  # fmt: skip
        for name in (AMOUNT, NOTICE_NUMBER, DUE_DATE):
            _field_error(name)
        st.checkbox(
            "Messaggio avanzato: stato di lettura e di pagamento",
            key=PREFIX + "advanced",
            disabled=locked,
        )
    cta_fields.message_options(PREFIX, disabled=locked)
    if buttons_error and not locked:
        st.error(buttons_error, icon=":material/error:")
    else:
        _field_error(BUTTONS)
    if subject.strip() or text.strip():
        st.markdown("**Anteprima, come la mostrerà IO**")
        message_preview(subject, text, buttons)
    if sent is not None:
        show_send_result(sent)
        st.button("Nuova notifica", icon=":material/add:", on_click=new_message, type="primary")
        return
    left, right = st.columns(2)
    if left.button("Verifica destinatario", icon=":material/person_search:"):
        _verify(actor, services)
    if right.button("Aggiungi", type="primary", icon=":material/send:"):
        _send(actor, services)


def _service_id(services: dict[str, int]) -> int | None:
    name = st.session_state.get(PREFIX + "service")
    if name is None:
        st.error("Scegli il servizio.")
        return None
    return services[name]


def _verify(actor: Actor, services: dict[str, int]) -> None:
    service_id = _service_id(services)
    if service_id is None:
        return
    try:
        with st.spinner("Verifica su IO…"):
            found = check_recipient(
                sessionmaker_(), actor, service_id, st.session_state.get(PREFIX + "cf", ""),
                keybox(), settings().io_base_url,
            )  # fmt: skip
    except AppError as exc:
        st.error(exc.message)
        return
    (st.success if found.reachable else st.warning)(found.message)


def _send(actor: Actor, services: dict[str, int]) -> None:
    service_id = _service_id(services)
    if service_id is None:
        return
    state = st.session_state
    data = NewNotification(
        service_id=service_id,
        fiscal_code=state.get(PREFIX + "cf", ""),
        subject=state.get(PREFIX + "subject", ""),
        text=state.get(PREFIX + "text", ""),
        amount=state.get(PREFIX + "amount", ""),
        notice_number=state.get(PREFIX + "notice", ""),
        due_date=state.get(PREFIX + "due", ""),
        feature_level=FeatureLevel.ADVANCED
        if state.get(PREFIX + "advanced")
        else FeatureLevel.STANDARD,
        request_key=_request_key(),
        buttons=cta_fields.typed_buttons(PREFIX),
        secure_channel=cta_fields.secure_channel(PREFIX),
        template=chosen_template(PREFIX, service_id),
    )
    try:
        with st.spinner("Invio a IO…"):
            result = send_new(sessionmaker_(), actor, data, keybox(), settings().io_base_url)
    except FieldErrors as exc:
        state[ERRORS_KEY] = dict(exc.fields)
        st.rerun()
    except AppError as exc:
        st.error(exc.message)
        return
    state[ERRORS_KEY] = {}
    state[RESULT_KEY] = result
    st.rerun()


def show_send_result(result: SingleResult) -> None:
    if result.repeated:
        st.info(
            f"Questa notifica era già stata inviata (n. {result.id}): non è stata inviata di"
            " nuovo. Premi «Nuova notifica» per scriverne un'altra."
        )
    text = f"Notifica n. {result.id}: **{result.outcome.value}**."
    if result.outcome in POSITIVE_OUTCOMES:
        st.success(
            f"{text} ID messaggio IO: {result.io_message_id}.", icon=":material/check_circle:"
        )
    elif result.outcome == Outcome.UNCERTAIN:
        st.warning(f"{text} {result.detail or ''} Apri il dettaglio per decidere.")
    elif result.outcome == Outcome.ERROR:
        st.error(f"{text} {result.detail or ''}")
    else:
        st.warning(f"{text} {result.detail or ''}")
    st.page_link(
        "pages/notifica.py",
        label=f"Apri la notifica n. {result.id}",
        icon=":material/open_in_new:",
        query_params={"notifica": str(result.id)},
    )
