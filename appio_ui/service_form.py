"""The add/edit form of a service: keys are write-only, shown only as their last 4 characters."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from appio_core.accounts.services import DEFAULT_ACCOUNT, ServiceInput, ServiceView
from appio_core.content.amounts import parse_amount
from appio_core.content.cells import ContentError
from appio_core.domain import ApprovalPolicy
from appio_core.errors import InvalidInput
from appio_core.italian import plain_euro

DEFAULT_MAX_AMOUNT = 1_000_000  # euro cents: € 10.000,00
APPROVAL_LABELS = {
    ApprovalPolicy.OFF: "Non richiesta",
    ApprovalPolicy.ABOVE: "Per i flussi con più destinatari di…",
    ApprovalPolicy.ALWAYS: "Sempre, per ogni flusso",
}
DEFAULT_THRESHOLD = 100


@dataclass(frozen=True)
class ServiceFormResult:
    data: ServiceInput
    operators: list[str]
    approval: ApprovalPolicy = ApprovalPolicy.OFF
    threshold: int | None = None  # the N of ApprovalPolicy.ABOVE


def service_form(
    existing: ServiceView | None, all_operators: list[str], key: str
) -> ServiceFormResult | None:
    """Draws the form; returns what was typed when the operator presses the save button."""
    e = existing
    with st.form(key, clear_on_submit=False):
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
        # Text, not st.number_input: that shows «10000.00», never the operators' 10.000,00.
        max_amount = left.text_input(
            "Importo massimo di pagamento (€)",
            value=plain_euro(e.max_payment_amount if e else DEFAULT_MAX_AMOUNT),
            help="In euro, come 10.000 o 1.234,56: gli avvisi oltre questo importo sono rifiutati.",
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
            placeholder="Scegli gli operatori",
        )
        approval, threshold = _approval(e)
        active = st.checkbox("Servizio attivo", value=e.active if e else True)
        label = "Salva modifiche" if e else "Aggiungi servizio"
        if not st.form_submit_button(label, type="primary"):
            return None
    try:
        max_payment_amount = _max_amount(max_amount)
    except InvalidInput as error:
        st.error(error.message)
        return None
    data = ServiceInput(
        name=name,
        io_service_id=io_service_id,
        primary_key=primary or None,
        secondary_key=secondary or None,
        organization_name=organization,
        organization_fiscal_code=fiscal_code,
        max_payment_amount=max_payment_amount,
        account=account,
        active=active,
    )
    return ServiceFormResult(
        data, operators, approval, threshold if approval is ApprovalPolicy.ABOVE else None
    )


def _approval(existing: ServiceView | None) -> tuple[ApprovalPolicy, int]:
    """Four eyes: whether «Invia» waits for a second operator's approval."""
    left, right = st.columns(2)
    policies: list[ApprovalPolicy] = list(APPROVAL_LABELS)
    current = existing.approval_policy if existing else ApprovalPolicy.OFF
    policy = left.selectbox(
        "Approvazione dei flussi",
        policies,
        index=policies.index(current),
        format_func=APPROVAL_LABELS.__getitem__,
        help="Un flusso che la richiede parte solo dopo l'approvazione di un altro operatore"
        " abilitato al servizio («Da approvare»). Le notifiche singole non la richiedono mai.",
    )
    threshold = right.number_input(
        "Numero di destinatari",
        min_value=1,
        value=(existing.approval_threshold if existing else None) or DEFAULT_THRESHOLD,
        step=1,
        help="Con «Per i flussi con più destinatari di…»: oltre questo numero serve"
        " l'approvazione.",
    )
    return ApprovalPolicy(policy or current), int(threshold)


def _max_amount(text: str) -> int:
    """The same reading as every amount an operator types (Nuova notifica, the CLI)."""
    if not text.strip():
        raise InvalidInput("Scrivi l'importo massimo di pagamento, in euro: ad esempio 10.000.")
    try:
        return parse_amount(text)
    except ContentError as error:
        raise InvalidInput(f"Importo massimo di pagamento: {error.message}") from None
