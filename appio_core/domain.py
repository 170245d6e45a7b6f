"""The words every layer shares, as data: roles, flow states and their transitions,
notification outcomes, natura, feature levels.

The values are the Italian words the operators read (the seed's own for flows); the
database stores them as they are (see appio_core.storage.models).
"""

from __future__ import annotations

from enum import StrEnum

# After the retention period a stored codice fiscale becomes a pseudonym: this prefix and
# 13 small letters and digits (appio_core.notifications.retention), in the messages and in
# the audit log alike (whose triggers let only such a value replace a code).
PSEUDONYM_PREFIX = "ps:"


class Role(StrEnum):
    """What an operator may do; the values are the Italian names the users know."""

    ADMIN = "amministratore"  # everything, on every service
    OPERATOR = "operatore"  # composes and sends on the services enabled for them
    VIEWER = "consultazione"  # reads the services enabled for them


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Amministratore",
    Role.OPERATOR: "Operatore",
    Role.VIEWER: "Consultazione",
}


class FeatureLevel(StrEnum):
    """IO's `feature_level_type`: ADVANCED (premium) makes read and payment status readable."""

    STANDARD = "STANDARD"
    ADVANCED = "ADVANCED"

    @classmethod
    def chosen(cls, advanced: bool) -> FeatureLevel:
        """The level of an «ADVANCED» checkbox or `--advanced` flag."""
        return cls.ADVANCED if advanced else cls.STANDARD


class FlowState(StrEnum):
    INACTIVE = "Inattivo"  # in preparation: recipients can be replaced
    ACTIVE = "Attivo"  # validated, ready to send
    # «Invia» on a service that requires a second operator's approval (ApprovalPolicy)
    AWAITING_APPROVAL = "In attesa di approvazione"
    SENDING = "In invio"  # the dispatcher is working on it
    PAUSED = "Sospeso"  # sending paused by an operator; resume goes on where it stopped
    SENT = "Inviato"  # every recipient reached
    INCOMPLETE = "Invio incompleto"  # finished, with some negative outcomes
    CANCELLED = "Annullato"  # stopped for good; what was sent stays sent


# Every allowed (from, to) pair; anything else is refused. Tested pair by pair.
FLOW_TRANSITIONS: frozenset[tuple[FlowState, FlowState]] = frozenset(
    {
        (FlowState.INACTIVE, FlowState.ACTIVE),  # activate (file without row errors)
        (FlowState.INACTIVE, FlowState.CANCELLED),
        (FlowState.ACTIVE, FlowState.INACTIVE),  # back to preparation, to change the file
        (FlowState.ACTIVE, FlowState.SENDING),  # send
        (FlowState.ACTIVE, FlowState.AWAITING_APPROVAL),  # send, where approval is required
        (FlowState.AWAITING_APPROVAL, FlowState.SENDING),  # approved
        # rejected, withdrawn by «Riporta in preparazione», or changed (edit, new file)
        (FlowState.AWAITING_APPROVAL, FlowState.INACTIVE),
        (FlowState.AWAITING_APPROVAL, FlowState.CANCELLED),
        (FlowState.ACTIVE, FlowState.CANCELLED),
        (FlowState.SENDING, FlowState.PAUSED),
        (FlowState.SENDING, FlowState.SENT),  # the dispatcher finished, all positive
        (FlowState.SENDING, FlowState.INCOMPLETE),  # finished with negative outcomes
        (FlowState.SENDING, FlowState.CANCELLED),
        (FlowState.PAUSED, FlowState.SENDING),  # resume
        (FlowState.PAUSED, FlowState.CANCELLED),
        (FlowState.INCOMPLETE, FlowState.SENDING),  # "reinvia falliti" / "reinvia" uncertain
        (FlowState.INCOMPLETE, FlowState.SENT),  # uncertain rows marked as sent
        (FlowState.SENT, FlowState.INCOMPLETE),  # IO rejected a message after acceptance
    }
)

FINISHED_STATES = frozenset({FlowState.SENT, FlowState.INCOMPLETE, FlowState.CANCELLED})


def can_move(source: FlowState, target: FlowState) -> bool:
    return (source, target) in FLOW_TRANSITIONS


class ApprovalPolicy(StrEnum):
    """Whether a service's flows need a second operator's approval before they send (four
    eyes). The values are the words of `appio service approval`; single notifications are
    never held."""

    OFF = "off"
    ABOVE = "above"  # flows with more recipients than the service's threshold
    ALWAYS = "always"

    def applies(self, recipients: int, threshold: int | None) -> bool:
        if self is ApprovalPolicy.ALWAYS:
            return True
        return self is ApprovalPolicy.ABOVE and recipients > (threshold or 0)

    def describe(self, threshold: int | None) -> str:
        """In Italian, as «Servizi» and `appio service list` show it."""
        if self is ApprovalPolicy.ALWAYS:
            return "per ogni flusso"
        if self is ApprovalPolicy.ABOVE:
            return f"per i flussi con più di {threshold or 0:,} destinatari".replace(",", ".")
        return "non richiesta"


class Outcome(StrEnum):
    """A notification's outcome (a flow's recipient or a single message)."""

    PENDING = "da inviare"
    SENDING = "in invio"  # claimed by a worker
    ACCEPTED = "accettato"  # IO gave a message id
    DELIVERED = "consegnato"  # IO status PROCESSED: in the citizen's inbox
    NOT_ON_IO = "non su IO"  # profile 404
    SERVICE_BLOCKED = "servizio disattivato dal cittadino"  # sender_allowed false
    REJECTED = "respinto"  # IO status REJECTED
    ERROR = "errore"  # permanent 4xx with IO's reason, or retries exhausted
    UNCERTAIN = "esito incerto"  # the request may or may not have reached IO


OUTCOME_DESCRIPTIONS: dict[Outcome, str] = {
    Outcome.PENDING: "In attesa di invio.",
    Outcome.SENDING: "Invio in corso.",
    Outcome.ACCEPTED: "IO ha accettato il messaggio e ha restituito un identificativo.",
    Outcome.DELIVERED: "Il messaggio è nella casella del cittadino su App IO.",
    Outcome.NOT_ON_IO: "Il cittadino non usa App IO: nessun messaggio inviato.",
    Outcome.SERVICE_BLOCKED: "Il cittadino ha disattivato questo servizio su App IO.",
    Outcome.REJECTED: "IO ha respinto il messaggio dopo averlo accettato.",
    Outcome.ERROR: "IO ha rifiutato il messaggio o non è stato raggiungibile: vedi il motivo.",
    Outcome.UNCERTAIN: (
        "Non sappiamo se il messaggio sia arrivato a IO: scegli se reinviarlo o segnarlo "
        "come inviato."
    ),
}

# The outcomes that end a recipient's sending phase.
FINAL_OUTCOMES = frozenset(set(Outcome) - {Outcome.PENDING, Outcome.SENDING})
# Reached: IO has the message.
POSITIVE_OUTCOMES = frozenset({Outcome.ACCEPTED, Outcome.DELIVERED})
NEGATIVE_OUTCOMES = FINAL_OUTCOMES - POSITIVE_OUTCOMES


class Natura(StrEnum):
    """What a flow is for: chosen by the operator, used to search and report."""

    COMMUNICATION = "Comunicazione"
    PAYMENT_NOTICE = "Avviso di pagamento"
    DUE_DATE_REMINDER = "Promemoria scadenza"
    PAYMENT_REMINDER = "Sollecito di pagamento"
    CASE_OUTCOME = "Esito pratica"
    ALERT = "Allerta e protezione civile"
