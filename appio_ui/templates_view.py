"""«Modelli»: the saved templates of the operator's services, a template's editor (a save
is a new version) with a preview on example values, and its versions with their
differences."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.content import cta
from appio_core.content.counters import template_count
from appio_core.content.cta import CtaButton
from appio_core.domain import FeatureLevel, Natura
from appio_core.errors import AppError
from appio_core.italian import local_time
from appio_core.templates.fields import FIELD_LABELS, TemplateErrors, TemplateFields
from appio_core.templates.preview import example_value, render_example
from appio_core.templates.queries import (
    TemplateSummary,
    TemplateVersionView,
    get_template_by_id,
    template_versions,
    version_diff,
)
from appio_core.templates.store import add_template, edit_template
from appio_ui import cta_fields
from appio_ui.attempt import attempt
from appio_ui.flow_form import TEMPLATE_HELP
from appio_ui.message_preview import message_preview
from appio_ui.report_view import plain
from appio_ui.runtime import transaction

NEW = "Nuovo modello"
CHOICE = "tm_choice"
_NEXT = "tm_next_choice"  # the choice after a save, set before the selectbox exists


def templates_table(found: list[TemplateSummary]) -> None:
    if not found:
        st.info("Nessun modello salvato: scrivine uno qui sotto.")
        return
    frame = pd.DataFrame(
        {
            "Nome": [t.name for t in found],
            "Servizio": [t.service_name for t in found],
            "Natura": [t.natura for t in found],
            "Versione": [t.version for t in found],
            "Modificato da": [t.updated_by for t in found],
            "Il": [local_time(t.updated_at) for t in found],
        }
    )
    st.dataframe(frame, hide_index=True, use_container_width=True, key="tm_table")


def choose(found: list[TemplateSummary]) -> int | None:
    """The template chosen to edit (its id), None for a new one."""
    if _NEXT in st.session_state:
        st.session_state[CHOICE] = st.session_state.pop(_NEXT)
    by_name = {t.name: t.id for t in found}
    name = st.selectbox("Modello", [NEW, *by_name], key=CHOICE)
    return by_name.get(name)


def _counter(source: str, *, subject: bool, buttons: cta.Buttons = ()) -> None:
    """The length as IO counts it; with buttons the text's maximum is lower."""
    count = template_count(source, subject=subject, rules=cta.content_rules(buttons))
    shown = plain(count.text)
    st.caption(f":red[{shown}]" if count.wrong else shown)


def editor(actor: Actor, services: dict[str, int], current: TemplateVersionView | None) -> None:
    """The fields of a new template, or of the chosen one's next version."""
    fields = current.fields if current else TemplateFields()
    key = f"tm_{current.template_id if current else 'new'}_"
    name = ""
    service = ""
    if current is None:
        c1, c2 = st.columns(2)
        name = c1.text_input("Nome del modello", key=key + "name", max_chars=100)
        service = c2.selectbox("Servizio", list(services), key=key + "service")
    else:
        st.caption(
            f"Servizio **{current.service_name}** · versione {current.version}, di"
            f" {current.created_by} il {local_time(current.created_at)}"
        )
    natura_names = [n.value for n in Natura]
    natura = st.selectbox(
        "Natura", natura_names, index=natura_names.index(fields.natura), key=key + "natura"
    )
    subject = st.text_input(
        "Oggetto (modello)", value=fields.subject_template, help=TEMPLATE_HELP, key=key + "subject"
    )
    _counter(subject, subject=True)
    text = st.text_area(
        "Testo del messaggio (modello, Markdown)",
        value=fields.text_template,
        help=TEMPLATE_HELP,
        height=180,
        key=key + "text",
    )
    typed = f"{key}cta1_label" in st.session_state  # the buttons' fields exist (below)
    _counter(
        text, subject=False, buttons=cta_fields.checked_buttons(key)[0] if typed else fields.buttons
    )
    with st.expander("Colonne del file per il pagamento e la scadenza (facoltative)"):
        st.caption(
            "Se il file chiama queste colonne in altro modo da «importo», «numero avviso» e"
            " «scadenza», scrivi qui i loro nomi."
        )
        c1, c2, c3 = st.columns(3)
        amount = c1.text_input("Colonna dell'importo", fields.amount_column, key=key + "amount")
        notice = c2.text_input(
            "Colonna del numero avviso", fields.notice_number_column, key=key + "notice"
        )
        due = c3.text_input("Colonna della scadenza", fields.due_date_column, key=key + "due")
    advanced = st.checkbox(
        "Messaggi avanzati",
        value=fields.feature_level == FeatureLevel.ADVANCED,
        help="IO comunica lo stato di lettura e di pagamento.",
        key=key + "advanced",
    )
    cta_fields.message_options(key, buttons=fields.buttons, secure=fields.require_secure_channels)
    buttons, buttons_error = cta_fields.checked_buttons(key)
    if buttons_error:
        st.error(buttons_error, icon=":material/error:")
    wanted = TemplateFields(
        natura=natura,
        subject_template=subject,
        text_template=text,
        amount_column=amount,
        notice_number_column=notice,
        due_date_column=due,
        feature_level=FeatureLevel.chosen(advanced),
        require_secure_channels=cta_fields.secure_channel(key),
        # As typed: a wrong button is refused by the save, with the other fields' errors.
        buttons=tuple(
            CtaButton(label, action, label_en)
            for label, action, label_en in cta_fields.typed_buttons(key)
            if (label + action + label_en).strip()
        ),
    )
    _preview(wanted, key, buttons)
    label = "Salva modello" if current is None else "Salva nuova versione"
    if st.button(label, type="primary", icon=":material/save:", key=key + "save"):
        if current is None:
            _save(lambda s: add_template(s, actor, services[service], name, wanted))
        else:
            _save(lambda s: edit_template(s, actor, current.template_id, wanted))


def _refused(error: AppError) -> None:
    if isinstance(error, TemplateErrors):
        for field, message in error.fields.items():
            st.error(f"{FIELD_LABELS.get(field, field)}: {message}", icon=":material/error:")
    else:
        st.error(error.message)


def _save(save: Callable[[Session], TemplateVersionView]) -> None:
    def saved(view: TemplateVersionView) -> str:
        st.session_state[_NEXT] = view.name
        return f"Modello «{view.name}»: salvata la versione {view.version}."

    attempt(save, success=saved, refused=_refused)


def _preview(fields: TemplateFields, key: str, buttons: cta.Buttons) -> None:
    if not (fields.subject_template.strip() or fields.text_template.strip()):
        return
    st.markdown("**Anteprima con valori di esempio**")
    values: dict[str, str] = {}
    names = fields.placeholders()
    if names:
        columns = st.columns(min(len(names), 3))
        for i, name in enumerate(names):
            values[name] = columns[i % len(columns)].text_input(
                f"Esempio per {{{{{name}}}}}", example_value(name), key=f"{key}example_{name}"
            )
    message_preview(
        render_example(fields.subject_template, values, is_subject=True),
        render_example(fields.text_template, values, is_subject=False),
        buttons,
    )


def versions(actor: Actor, template_id: int) -> None:
    """Every version, the newest first, each with its differences from the one before."""
    with transaction() as session:
        found = template_versions(session, actor, template_id)
    st.subheader("Versioni")
    for i, version in enumerate(found):
        previous = found[i + 1] if i + 1 < len(found) else None
        title = (
            f"Versione {version.version} · {version.created_by} ·"
            f" {local_time(version.created_at)}" + (" (attuale)" if version.is_current else "")
        )
        with st.expander(title, expanded=False):
            st.markdown(f"**Natura:** {version.fields.natura}")
            st.text(f"Oggetto: {version.fields.subject_template}")
            st.text(version.fields.text_template)
            cta_fields.summary(version.fields.buttons, version.fields.require_secure_channels)
            if previous is not None:
                st.markdown(f"**Differenze dalla versione {previous.version}**")
                st.code(version_diff(previous, version) or "nessuna", language="diff")


def chosen_view(actor: Actor, template_id: int | None) -> TemplateVersionView | None:
    if template_id is None:
        return None

    def read(session: Session) -> TemplateVersionView:
        return get_template_by_id(session, actor, template_id)

    return attempt(read)
