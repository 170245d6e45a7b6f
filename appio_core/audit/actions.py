"""What the audit log records: the actions, each with its Italian label, and the outcomes.

An action's value is its stable code, as `appio audit list --action` takes it and the
database keeps it; the part before the dot is its family (`--action flow` matches every
flow action). The flows' actions are named after the registry's commands
(appio_core.flows.registry), which a test keeps in step.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    OPERATOR_CREATE = "operator.create"
    OPERATOR_ACTIVATE = "operator.activate"
    OPERATOR_DEACTIVATE = "operator.deactivate"
    OPERATOR_ROLE = "operator.role"
    OPERATOR_PASSWORD = "operator.password"
    OPERATOR_PASSWORD_RESET = "operator.password-reset"
    OPERATOR_EMAIL = "operator.email"
    SERVICE_CREATE = "service.create"
    SERVICE_UPDATE = "service.update"
    SERVICE_KEYS = "service.keys"
    SERVICE_OPERATORS = "service.operators"
    SERVICE_ACCOUNT = "service.account"
    SERVICE_MANAGE_KEY = "service.manage-key"
    SERVICE_IMPORT = "service.import"
    SERVICE_KEYS_REGENERATE = "service.keys-regenerate"
    SERVICE_APPROVAL = "service.approval"
    KEYS_ROTATE = "keys.rotate"
    FLOW_IMPORT = "flow.import"
    FLOW_REPLACE_FILE = "flow.replace-file"
    FLOW_EDIT = "flow.edit"
    FLOW_ACTIVATE = "flow.activate"
    FLOW_DEACTIVATE = "flow.deactivate"
    FLOW_SEND = "flow.send"
    FLOW_APPROVE = "flow.approve"
    FLOW_REJECT = "flow.reject"
    FLOW_PAUSE = "flow.pause"
    FLOW_RESUME = "flow.resume"
    FLOW_CANCEL = "flow.cancel"
    FLOW_RETRY_FAILED = "flow.retry-failed"
    FLOW_RESEND_UNCERTAIN = "flow.resend-uncertain"
    FLOW_MARK_UNCERTAIN_SENT = "flow.mark-uncertain-sent"
    TEMPLATE_ADD = "template.add"
    TEMPLATE_EDIT = "template.edit"
    FLOW_CORRECT = "flow.correct"
    NOTIFICATION_SEND = "notification.send"
    NOTIFICATION_RESEND = "notification.resend"
    NOTIFICATION_MARK_SENT = "notification.mark-sent"
    NOTIFICATION_CORRECT = "notification.correct"
    EXPORT_NOTIFICATIONS = "export.notifications"
    EXPORT_FLOWS = "export.flows"
    EXPORT_FLOW_RECIPIENTS = "export.flow-recipients"
    EXPORT_AUDIT = "export.audit"
    EXPORT_STATS = "export.stats"
    DATA_PURGE = "data.purge"
    INTEGRATION_CREATE = "integration.create"
    INTEGRATION_REVOKE = "integration.revoke"
    # «Reinvia» of a webhook event that failed for 24 hours.
    WEBHOOK_REDELIVER = "integration.webhook-redeliver"
    # A call to the API refused: no valid key (401) or outside its services or scopes (403).
    API_REFUSED = "api.refused"
    # Reads of a citizen's data: one entry per reading, never per row shown.
    READ_NOTIFICATION = "read.notification"
    READ_SEARCH = "read.search"
    READ_PROFILE = "read.profile"

    @property
    def family(self) -> str:
        return self.value.partition(".")[0]

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]

    @classmethod
    def of_flow_command(cls, command: str) -> AuditAction:
        """The action of a flow registry's command («retry-failed» → flow.retry-failed)."""
        return cls(f"flow.{command}")


ACTION_LABELS: dict[AuditAction, str] = {
    AuditAction.LOGIN: "Accesso",
    AuditAction.LOGOUT: "Uscita",
    AuditAction.OPERATOR_CREATE: "Nuovo operatore",
    AuditAction.OPERATOR_ACTIVATE: "Operatore riattivato",
    AuditAction.OPERATOR_DEACTIVATE: "Operatore disattivato",
    AuditAction.OPERATOR_ROLE: "Ruolo dell'operatore cambiato",
    AuditAction.OPERATOR_PASSWORD: "Password cambiata dall'operatore",
    AuditAction.OPERATOR_PASSWORD_RESET: "Password reimpostata da un amministratore",
    AuditAction.OPERATOR_EMAIL: "E-mail dell'operatore (single sign-on)",
    AuditAction.SERVICE_CREATE: "Nuovo servizio",
    AuditAction.SERVICE_UPDATE: "Servizio modificato",
    AuditAction.SERVICE_KEYS: "Chiavi del servizio sostituite",
    AuditAction.SERVICE_OPERATORS: "Operatori abilitati al servizio",
    AuditAction.SERVICE_ACCOUNT: "Limite dell'account IO",
    AuditAction.SERVICE_MANAGE_KEY: "Chiave di gestione IO dell'ente",
    AuditAction.SERVICE_IMPORT: "Servizi importati da IO",
    AuditAction.SERVICE_KEYS_REGENERATE: "Chiavi del servizio rigenerate su IO",
    AuditAction.SERVICE_APPROVAL: "Approvazione dei flussi del servizio",
    AuditAction.KEYS_ROTATE: "Chiavi dei servizi cifrate con una nuova chiave segreta",
    AuditAction.FLOW_IMPORT: "Flusso creato da file",
    AuditAction.FLOW_REPLACE_FILE: "File del flusso sostituito",
    AuditAction.FLOW_EDIT: "Flusso modificato",
    AuditAction.FLOW_ACTIVATE: "Flusso: Attiva",
    AuditAction.FLOW_DEACTIVATE: "Flusso: Riporta in preparazione",
    AuditAction.FLOW_SEND: "Flusso: Invia",
    AuditAction.FLOW_APPROVE: "Flusso: Approva",
    AuditAction.FLOW_REJECT: "Flusso: Respingi",
    AuditAction.FLOW_PAUSE: "Flusso: Sospendi",
    AuditAction.FLOW_RESUME: "Flusso: Riprendi",
    AuditAction.FLOW_CANCEL: "Flusso: Annulla",
    AuditAction.FLOW_RETRY_FAILED: "Flusso: Reinvia falliti",
    AuditAction.FLOW_RESEND_UNCERTAIN: "Flusso: Reinvia esiti incerti",
    AuditAction.FLOW_MARK_UNCERTAIN_SENT: "Flusso: Segna esiti incerti come inviati",
    AuditAction.TEMPLATE_ADD: "Nuovo modello",
    AuditAction.TEMPLATE_EDIT: "Modello modificato (nuova versione)",
    AuditAction.FLOW_CORRECT: "Rettifica di un flusso creata",
    AuditAction.INTEGRATION_CREATE: "Nuova integrazione (chiave API)",
    AuditAction.INTEGRATION_REVOKE: "Integrazione revocata",
    AuditAction.WEBHOOK_REDELIVER: "Webhook reinviato a un'integrazione",
    AuditAction.API_REFUSED: "Chiamata API rifiutata",
    AuditAction.NOTIFICATION_SEND: "Notifica singola inviata",
    AuditAction.NOTIFICATION_RESEND: "Notifica singola inviata di nuovo",
    AuditAction.NOTIFICATION_MARK_SENT: "Notifica singola segnata come inviata",
    AuditAction.NOTIFICATION_CORRECT: "Rettifica di una notifica singola inviata",
    AuditAction.EXPORT_NOTIFICATIONS: "Esportazione delle notifiche",
    AuditAction.EXPORT_FLOWS: "Esportazione dei flussi",
    AuditAction.EXPORT_FLOW_RECIPIENTS: "Esportazione dei destinatari di un flusso",
    AuditAction.EXPORT_AUDIT: "Esportazione del registro attività",
    AuditAction.EXPORT_STATS: "Esportazione dei dati del cruscotto",
    AuditAction.DATA_PURGE: "Rimozione dei dati personali scaduti",
    AuditAction.READ_NOTIFICATION: "Dettaglio di una notifica aperto",
    AuditAction.READ_SEARCH: "Ricerca per codice fiscale",
    AuditAction.READ_PROFILE: "Verifica destinatario su IO",
}

# The families, for «all the actions on ...» filters.
FAMILY_LABELS: dict[str, str] = {
    "login": "Accessi",
    "logout": "Uscite",
    "operator": "Operatori",
    "service": "Servizi e chiavi",
    "keys": "Chiave segreta",
    "flow": "Flussi",
    "template": "Modelli",
    "notification": "Notifiche singole",
    "export": "Esportazioni",
    "data": "Dati personali",
    "integration": "Integrazioni (chiavi API)",
    "api": "Chiamate API rifiutate",
    "read": "Consultazioni di dati personali",
}


def action_label(code: str) -> str:
    """The Italian label of a stored action; a code this version does not know (written by
    a newer one) is shown as it is."""
    try:
        return AuditAction(code).label
    except ValueError:
        return code


class AuditOutcome(StrEnum):
    OK = "riuscito"
    REFUSED = "rifiutato"  # a rule said no: permission, state, wrong input, wrong password
    FAILED = "non riuscito"  # tried, and it did not work out (IO said no, an internal error)
