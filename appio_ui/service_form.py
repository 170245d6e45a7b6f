"""The add/edit form of a service: keys are write-only, shown only as their last 4 characters."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from appio_core.accounts.services import DEFAULT_ACCOUNT, ServiceInput, ServiceView


@dataclass(frozen=True)
class ServiceFormResult:
    data: ServiceInput
    operators: list[str]


def service_form(
    existing: ServiceView | None, all_operators: list[str], key: str
) -> ServiceFormResult | None:
    """Draws the form; returns what was typed when the operator presses the save button."""
    e = existing
    with st.form(key, clear_on_submit=e is None):
        left, right = st.columns(2)
        name = left.text_input("Nome del servizio", value=e.name if e else "")
        io_service_id = right.text_input(
            "Identificativo servizio IO",
            value=e.io_service_id if e else "",
            help="L'ID del servizio sul portale IO (Area riservata enti).",
        )
        keep = "Lascia vuoto per mantenere la chiave salvata {}."
        primary = left.text_input(
            "Chiave primaria",
            type="password",
            help=keep.format(e.primary_key) if e else "Obbligatoria. Non sarà più mostrata.",
            placeholder=e.primary_key if e else "",
        )
        secondary = right.text_input(
            "Chiave secondaria",
            type="password",
            help=keep.format(e.secondary_key)
            if e and e.secondary_key
            else "Facoltativa: usata se la primaria viene rifiutata.",
            placeholder=e.secondary_key if e else "",
        )
        organization = left.text_input("Ente", value=e.organization_name if e else "")
        fiscal_code = right.text_input(
            "Codice fiscale dell'ente",
            value=e.organization_fiscal_code if e else "",
            max_chars=11,
        )
        max_euro = left.number_input(
            "Importo massimo di pagamento (€)",
            min_value=0.01,
            step=1.0,
            format="%.2f",
            value=(e.max_payment_amount if e else 1_000_000) / 100,
        )
        account = right.text_input(
            "Account IO",
            value=e.account if e else DEFAULT_ACCOUNT,
            help="I servizi dello stesso account condividono il limite di invio di IO.",
        )
        operators = st.multiselect(
            "Operatori abilitati",
            all_operators,
            default=list(e.operators) if e else [],
        )
        active = st.checkbox("Servizio attivo", value=e.active if e else True)
        label = "Salva modifiche" if e else "Aggiungi servizio"
        if not st.form_submit_button(label, type="primary"):
            return None
    data = ServiceInput(
        name=name,
        io_service_id=io_service_id,
        primary_key=primary or None,
        secondary_key=secondary or None,
        organization_name=organization,
        organization_fiscal_code=fiscal_code,
        max_payment_amount=round(max_euro * 100),
        account=account,
        active=active,
    )
    return ServiceFormResult(data, operators)
