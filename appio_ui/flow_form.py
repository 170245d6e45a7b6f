"""The «Nuovo flusso» form: what the operator chooses before a file becomes a flow.

Plain widgets rather than an st.form: the page answers as the operator types (the
templates' counters) and chooses (the schedule's day and hour appear only when wanted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from appio_core.content.counters import template_count
from appio_core.domain import FeatureLevel, Natura
from appio_core.flows.fields import NAME_LENGTH
from appio_core.flows.importing import FlowOptions, Templates
from appio_core.italian import ROME
from appio_core.templates.queries import TemplateVersionView
from appio_core.templates.use import TemplateRef
from appio_ui import cta_fields
from appio_ui.flow_check import current_templates
from appio_ui.report_view import plain

TEMPLATE_HELP = (
    "Scrivi {{nome_colonna}} per inserire il valore di una colonna del file, per esempio "
    "«Gentile {{nome}}». Lascia vuoto se il file ha già le colonne oggetto e testo (come "
    "«subject» e «markdown» nei file di IO): se scrivi un modello, vale il modello."
)


@dataclass(frozen=True)
class FlowRequest:
    service: str
    name: str
    natura: str
    filename: str
    content: bytes
    templates: Templates
    options: FlowOptions
    create: bool  # False: only check the file
    force: bool = False  # the operator confirmed what «Crea flusso» asked about
    template: TemplateRef | None = None  # the saved template the fields were filled from


_CONFIRM = "nf_confirm"


def ask_confirmation(message: str) -> None:
    """«Crea flusso» was refused until confirmed (a payment flow whose file has no payment
    columns): the question stays above the buttons while the same file and natura are
    chosen."""
    upload = st.session_state.get("nf_file")
    if upload is not None:
        st.session_state[_CONFIRM] = (upload.file_id, st.session_state.get("nf_natura"), message)


def _confirmation(upload: Any, natura: str) -> bool:
    asked = st.session_state.get(_CONFIRM)
    if upload is None or asked is None or asked[:2] != (upload.file_id, natura):
        return False
    st.warning(asked[2])
    return st.checkbox(
        "Crea il flusso senza dati di pagamento, premendo di nuovo «Crea flusso»",
        key="nf_confirmed",
    )


def _counter(source: str, *, subject: bool) -> None:
    """Under a template: its length as IO counts it, against the limits, as it is typed."""
    count = template_count(source, subject=subject)
    shown = plain(count.text)
    st.caption(f":red[{shown}]" if count.wrong else shown)


def _schedule() -> dt.datetime | None:
    """The day and hour of a scheduled send, asked only once «Programma l'invio» is ticked."""
    if not st.session_state.get("nf_schedule"):
        return None
    c1, c2 = st.columns(2)
    day = c1.date_input("Giorno di invio", value=dt.date.today(), format="DD/MM/YYYY", key="nf_day")
    hour = c2.time_input("Ora di invio", value=dt.time(9, 0), key="nf_hour")
    return dt.datetime.combine(day, hour, tzinfo=ROME)


def fill_from_template(used: TemplateVersionView) -> None:
    """«Usa un modello»: the template's natura, subject, text, level, buttons and «Canale
    sicuro» in the fields."""
    state = st.session_state
    state["nf_natura"] = used.fields.natura
    state["nf_subject"] = used.fields.subject_template
    state["nf_text"] = used.fields.text_template
    state["nf_advanced"] = used.fields.feature_level == FeatureLevel.ADVANCED
    cta_fields.fill("nf_", used.fields.buttons, used.fields.require_secure_channels)


def flow_form(
    service_names: list[str], pick_template: Callable[[str], TemplateRef | None] | None = None
) -> FlowRequest | None:
    """The form; `pick_template` shows «Usa un modello» for the chosen service and gives
    the template chosen."""
    c1, c2 = st.columns(2)
    service = c1.selectbox("Servizio", service_names, key="nf_service")
    natura = c2.selectbox("Natura", [n.value for n in Natura], key="nf_natura")
    template = pick_template(service) if pick_template else None
    name = st.text_input("Nome del flusso", max_chars=NAME_LENGTH, key="nf_name")
    description = st.text_area("Descrizione", height=68, key="nf_description")
    upload = st.file_uploader(
        "File dei destinatari (.xlsx o .csv)",
        type=["xlsx", "csv"],
        help="Una riga per cittadino, con la colonna del codice fiscale. L'intestazione è la "
        "prima riga con i nomi delle colonne: un titolo sopra di lei viene saltato. Vanno bene "
        "anche i file per IO di PagoPA e di GovIO, così come sono.",
        key="nf_file",
    )
    subject = st.text_input("Oggetto (modello)", help=TEMPLATE_HELP, key="nf_subject")
    _counter(subject, subject=True)
    text = st.text_area(
        "Contenuto del messaggio (modello, Markdown)", help=TEMPLATE_HELP, height=150, key="nf_text"
    )
    _counter(text, subject=False)
    cta_fields.message_options("nf_")
    st.text_input("Foglio Excel", help="Lascia vuoto per usare il primo foglio.", key="nf_sheet")
    c3, c4, c5 = st.columns(3)
    check_profile = c3.checkbox(
        "Verifica il profilo prima di inviare", value=True, key="nf_check_profile"
    )
    advanced = c4.checkbox(
        "Messaggi avanzati",
        help="IO comunica lo stato di lettura e di pagamento.",
        key="nf_advanced",
    )
    c5.checkbox("Programma l'invio", key="nf_schedule")
    scheduled_at = _schedule()
    status_hours = st.number_input(
        "Verifica lo stato dei messaggi per (ore)",
        min_value=0,
        max_value=24 * 30,
        value=48,
        help="Per quanto tempo dopo l'invio leggere da IO lo stato di ogni "
        "messaggio (consegna, e-mail, lettura, pagamento). 0: mai.",
        key="nf_status_hours",
    )
    force = _confirmation(upload, natura)
    b1, b2 = st.columns(2)
    check = b1.button("Verifica file", icon=":material/fact_check:", key="nf_check")
    create = b2.button("Crea flusso", type="primary", icon=":material/add:", key="nf_create")
    if not (check or create):
        return None
    if upload is None:
        st.error("Scegli il file dei destinatari.")
        return None
    buttons, buttons_error = cta_fields.checked_buttons("nf_")
    if buttons_error:
        st.error(buttons_error, icon=":material/error:")
        return None
    return FlowRequest(
        service=service,
        name=name,
        natura=natura,
        filename=upload.name,
        content=upload.getvalue(),
        templates=current_templates(),
        options=FlowOptions(
            description=description,
            check_profile=check_profile,
            feature_level=FeatureLevel.chosen(advanced),
            scheduled_at=scheduled_at,
            status_check_hours=int(status_hours),
            buttons=buttons,
            secure_channel=cta_fields.secure_channel("nf_"),
        ),
        create=create,
        force=force,
        template=template,
    )
