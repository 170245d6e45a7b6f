"""Saved templates where a message is written: «Usa un modello» (fills the fields, which
the operator may still change for this send only) and «Salva come modello» on a flow's or
a message's detail."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.domain import FeatureLevel, Natura
from appio_core.templates.queries import TemplateVersionView, get_template_by_id, list_templates
from appio_core.templates.use import TemplateRef, TemplateUse
from appio_ui.attempt import attempt
from appio_ui.runtime import transaction
from appio_ui.unexpected import guarded

Fill = Callable[[TemplateVersionView], None]


def _key(prefix: str, service_id: int) -> str:
    return f"{prefix}template_{service_id}"


def template_picker(actor: Actor, service_id: int, prefix: str, fill: Fill) -> None:
    """«Usa un modello»: the service's templates; choosing one fills the fields."""
    with transaction() as session:
        found = list_templates(session, actor, service_id)
    if not found:
        st.caption("Nessun modello per questo servizio: puoi crearne uno su «Modelli».")
        return
    by_name = {t.name: t.id for t in found}
    st.selectbox(
        "Usa un modello",
        list(by_name),
        index=None,
        placeholder="Scegli un modello salvato…",
        key=_key(prefix, service_id),
        help="Riempie i campi con il modello: puoi ancora cambiarli, solo per questo invio.",
        on_change=_chosen,
        args=(actor, service_id, prefix, by_name, fill),
    )


@guarded
def _chosen(
    actor: Actor, service_id: int, prefix: str, by_name: dict[str, int], fill: Fill
) -> None:
    name = st.session_state.get(_key(prefix, service_id))
    if name is None:
        st.session_state.pop(f"{prefix}template_ref", None)
        return
    with transaction() as session:
        used = get_template_by_id(session, actor, by_name[name])
    fill(used)
    st.session_state[f"{prefix}template_ref"] = (used.template_id, used.version, service_id)


def chosen_template(prefix: str, service_id: int | None) -> TemplateRef | None:
    """The template (and version) the fields were filled from, while it is still chosen
    for this service."""
    chosen = st.session_state.get(f"{prefix}template_ref")
    if service_id is None or chosen is None or chosen[2] != service_id:
        return None
    if st.session_state.get(_key(prefix, service_id)) is None:
        return None
    return TemplateRef(chosen[0], chosen[1])


def forget_template(prefix: str) -> None:
    for key in [k for k in st.session_state if str(k).startswith(f"{prefix}template")]:
        st.session_state.pop(key, None)


def used_caption(used: TemplateUse | None) -> None:
    if used is not None:
        st.caption(f"Dal {used.describe()}.")


def save_as_template(
    key: str,
    save: Callable[[Session, str, str], TemplateVersionView],
    natura: str | None = None,
) -> None:
    """«Salva come modello»: a name (and a natura, for a message, which has none), then a
    new template of the same service; its placeholders are put in on «Modelli»."""
    with st.expander("Salva come modello", icon=":material/bookmark_add:"):
        name = st.text_input("Nome del modello", key=f"{key}_name")
        chosen = natura
        if natura is None:
            chosen = st.selectbox("Natura", [n.value for n in Natura], key=f"{key}_natura")
        if st.button("Salva come modello", key=f"{key}_save", icon=":material/save:"):
            attempt(
                lambda session: save(session, name, chosen or Natura.COMMUNICATION.value),
                success=lambda view: f"Modello «{view.name}» salvato: lo trovi su «Modelli».",
            )


def advanced(used: TemplateVersionView) -> bool:
    return used.fields.feature_level == FeatureLevel.ADVANCED
