"""The «Nuovo flusso» form: what the operator chooses before a file becomes a flow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from appio_core.domain import FeatureLevel, Natura
from appio_core.flows.importing import FlowOptions, Templates
from appio_core.italian import ROME

TEMPLATE_HELP = (
    "Scrivi {{nome_colonna}} per inserire il valore di una colonna del file, per esempio "
    "«Gentile {{nome}}». Lascia vuoto se il file ha già le colonne oggetto e testo."
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


def flow_form(service_names: list[str]) -> FlowRequest | None:
    with st.form("new_flow"):
        c1, c2 = st.columns(2)
        service = c1.selectbox("Servizio", service_names)
        natura = c2.selectbox("Natura", [n.value for n in Natura])
        name = st.text_input("Nome del flusso", max_chars=200)
        description = st.text_area("Descrizione", height=68)
        upload = st.file_uploader(
            "File dei destinatari (.xlsx o .csv)",
            type=["xlsx", "csv"],
            help="Una riga per cittadino, con la colonna del codice fiscale. L'intestazione è "
            "la riga 1.",
        )
        subject = st.text_input("Oggetto (modello)", help=TEMPLATE_HELP)
        text = st.text_area(
            "Testo del messaggio (modello, Markdown)", help=TEMPLATE_HELP, height=150
        )
        sheet = st.text_input("Foglio Excel", help="Lascia vuoto per usare il primo foglio.")
        c3, c4, c5 = st.columns(3)
        check_profile = c3.checkbox("Verifica il profilo prima di inviare", value=True)
        advanced = c4.checkbox(
            "Messaggi avanzati", help="IO comunica lo stato di lettura e di pagamento."
        )
        schedule = c5.checkbox("Programma l'invio")
        c6, c7, c8 = st.columns(3)
        day = c6.date_input("Giorno di invio", value=dt.date.today(), format="DD/MM/YYYY")
        hour = c7.time_input("Ora di invio", value=dt.time(9, 0))
        status_hours = c8.number_input(
            "Verifica lo stato dei messaggi per (ore)",
            min_value=0,
            max_value=24 * 30,
            value=48,
            help="Per quanto tempo dopo l'invio leggere da IO lo stato di ogni "
            "messaggio (consegna, e-mail, lettura, pagamento). 0: mai.",
        )
        check = st.form_submit_button("Verifica file", icon=":material/fact_check:")
        create = st.form_submit_button("Crea flusso", type="primary", icon=":material/add:")
    if not (check or create):
        return None
    if upload is None:
        st.error("Scegli il file dei destinatari.")
        return None
    return FlowRequest(
        service=service,
        name=name,
        natura=natura,
        filename=upload.name,
        content=upload.getvalue(),
        templates=Templates(subject or None, text or None, sheet or None),
        options=FlowOptions(
            description=description,
            check_profile=check_profile,
            feature_level=FeatureLevel.chosen(advanced),
            scheduled_at=dt.datetime.combine(day, hour, tzinfo=ROME) if schedule else None,
            status_check_hours=int(status_hours),
        ),
        create=create,
    )
