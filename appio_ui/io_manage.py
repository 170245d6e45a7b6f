"""IO's management API on the pages: the ente's manage key and «Rigenera chiavi» (Servizi),
the list and the import of «Importa da IO»."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.io_import import (
    ACCOUNT_NOTE,
    ImportReport,
    IoServiceRow,
    import_services,
    io_services,
)
from appio_core.accounts.key_regeneration import Regeneration, regenerate_keys
from appio_core.accounts.manage_key import (
    NO_MANAGE_KEY,
    ManageKeyView,
    manage_key_view,
    set_manage_key,
)
from appio_core.accounts.permissions import Actor
from appio_core.accounts.services import ServiceView
from appio_core.errors import AppError
from appio_core.io.manage import with_manage_client
from appio_core.italian import euro, local_time
from appio_ui.attempt import attempt, show_refusal
from appio_ui.feedback import flash_and_rerun
from appio_ui.forms import clear_form, form_key
from appio_ui.runtime import keybox, sessionmaker_, settings, transaction

IMPORT_PAGE = "pages/importa_io.py"
MANAGE_KEY_FORM = "manage_key"
LISTING = "io_services_listing"  # the ente's services as IO last listed them
WITHOUT_KEY = (
    "Senza la chiave di gestione tutto funziona come prima: l'identificativo e le chiavi di"
    " un servizio si copiano dall'Area riservata di IO in «Nuovo servizio»."
)


def current_manage_key() -> ManageKeyView | None:
    with transaction() as session:
        return manage_key_view(session)


def manage_key_section(actor: Actor, view: ManageKeyView | None) -> None:
    """The ente's manage key: masked, who set it; the form to set or replace it."""
    if view is None:
        st.info(f"{NO_MANAGE_KEY} {WITHOUT_KEY}", icon=":material/key_off:")
    else:
        st.write(
            f"Chiave dell'ente: **{view.masked}**, impostata da {view.set_by or '—'} il"
            f" {local_time(view.set_at)}."
        )
    with st.form(form_key(MANAGE_KEY_FORM)):
        key = st.text_input(
            "Chiave di gestione (manage)",
            type="password",
            placeholder=view.masked if view else "",
            help="Area riservata di IO, sezione Chiavi API: la chiave «manage» dell'ente. Non"
            " sarà più mostrata.",
        )
        label = "Sostituisci la chiave di gestione" if view else "Salva la chiave di gestione"
        if not st.form_submit_button(label, type="primary"):
            return

    def save(session: Session) -> ManageKeyView:
        saved = set_manage_key(session, actor, key, keybox())
        clear_form(MANAGE_KEY_FORM)
        return saved

    attempt(save, success=lambda saved: f"Chiave di gestione salvata ({saved.masked}).")


def regenerate_section(actor: Actor, service: ServiceView, has_manage_key: bool) -> None:
    """«Rigenera chiavi» of one service, with what it does; done in the page's run."""
    with st.expander(f"Rigenera chiavi di «{service.name}»", icon=":material/autorenew:"):
        if not has_manage_key:
            st.info(
                "Per rigenerare le chiavi da qui serve la chiave di gestione (manage) dell'ente:"
                " inseriscila in «Chiave di gestione IO», in fondo alla pagina."
            )
            return
        st.write(
            "IO sostituisce le due chiavi del servizio, una alla volta, e l'app passa ogni volta"
            " a quella che resta valida: gli invii in corso continuano, nessun messaggio viene"
            " rifiutato né inviato due volte. Prima la secondaria; poi, finiti gli invii che"
            " usano la primaria, la primaria. Le chiavi vecchie non funzioneranno più, anche"
            " altrove."
        )
        if not st.button("Rigenera chiavi", key=f"regenerate_{service.id}", type="primary"):
            return
        with st.spinner("Rigenerazione delle chiavi su IO..."):
            try:
                done = _regenerate(actor, service.id)
            except AppError as error:
                show_refusal(error)
                return
        flash_and_rerun(_done(done))


def _regenerate(actor: Actor, service_id: int) -> Regeneration:
    sessions = sessionmaker_()
    return with_manage_client(
        settings().io_base_url,
        lambda client: regenerate_keys(sessions, actor, service_id, keybox(), client),
    )


def _done(done: Regeneration) -> str:
    steps = "  \n".join(done.steps)
    return f"Chiavi del servizio «{done.service_name}» rigenerate.  \n{steps}"


# -- «Importa da IO» -----------------------------------------------------------------


def listing(actor: Actor, refresh: bool) -> list[IoServiceRow] | None:
    """The ente's services on IO: read once per visit (and on «Aggiorna elenco»)."""
    if refresh or LISTING not in st.session_state:

        def read(session: Session) -> list[IoServiceRow]:
            return with_manage_client(
                settings().io_base_url,
                lambda client: io_services(session, actor, keybox(), client),
            )

        found = attempt(read)  # a refusal is shown, and the next run asks IO again
        if found is None:
            return None
        st.session_state[LISTING] = found
    rows: list[IoServiceRow] = st.session_state[LISTING]
    return rows


def show_listing(rows: list[IoServiceRow]) -> None:
    frame = pd.DataFrame(
        {
            "Servizio": [r.service.name for r in rows],
            "ID servizio IO": [r.service.id for r in rows],
            "Stato su IO": [r.service.state_label for r in rows],
            "Ente": [r.service.organization_name or "—" for r in rows],
            "Importo massimo": [
                euro(r.service.max_payment_amount) if r.service.max_payment_amount else "—"
                for r in rows
            ],
            "In IO Flussi": [f"sì, «{r.local_name}»" if r.present else "no" for r in rows],
        }
    )
    st.dataframe(frame, hide_index=True, key="io_services")


def import_form(actor: Actor, rows: list[IoServiceRow]) -> None:
    new = [r.service for r in rows if not r.present and r.service.state != "deleted"]
    if not new:
        st.success("Tutti i servizi dell'ente su IO sono già in IO Flussi.")
        return
    labels = {s.id: f"{s.name} ({s.id})" for s in new}
    with st.form("import_from_io"):
        chosen = st.multiselect(
            "Servizi da importare",
            list(labels),
            format_func=labels.__getitem__,
            placeholder="Scegli i servizi",
        )
        st.caption(ACCOUNT_NOTE)
        if not st.form_submit_button("Importa", type="primary", icon=":material/download:"):
            return

    def run(session: Session) -> ImportReport:
        return with_manage_client(
            settings().io_base_url,
            lambda client: import_services(session, actor, keybox(), client, chosen),
        )

    report = attempt(run)
    if report is None:
        return
    if not report.added:
        st.warning("  \n".join(report.lines()))
        return
    st.session_state.pop(LISTING, None)  # read again: the imported ones are here now
    flash_and_rerun("  \n".join(report.lines()))
