"""Every operator action on a flow, described once.

The pages' buttons (appio_ui.flow_actions), the `appio flow` commands, the permission
and transition tests and the state guard of each action (`check_allowed`, applied by
appio_core.flows.actions to every action) are all derived from `FLOW_ACTIONS`. Adding an
action: an entry here and its function in appio_core.flows.actions, registered under the
same name (a test fails when one is missing).

This module imports only the domain, so that `appio flow --help` and the pages can read
it without loading the database stack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from appio_core.domain import FlowState
from appio_core.errors import Conflict
from appio_core.italian import thousands

if TYPE_CHECKING:
    from appio_core.flows.queries import FlowView

S = FlowState


def _always(view: FlowView) -> bool:
    return True


@dataclass(frozen=True, eq=False)
class FlowAction:
    name: str  # its function in appio_core.flows.actions; with "-" for "_", its CLI command
    label: str  # the button
    icon: str
    # The states it may start from (its guard), each with the states it may leave the flow
    # in (the same one when the action works on rows and leaves the state alone).
    moves: Mapping[FlowState, frozenset[FlowState]]
    success: str  # shown on the page once it ran
    done: str  # the CLI's «Flusso N: <done> (stato «...»).»; {count}: the rows it changed
    help: str  # `appio flow <command> --help`
    confirmation: str | None = None  # asked on the page before it runs
    # It may answer ConfirmationNeeded (same file sent today): run again with force=True
    # once the operator ticked this box (the page) or gave --force (the CLI).
    reconfirm: str | None = None
    # It acts on chosen «esito incerto» rows (the recipient's detail), not on the whole flow.
    on_recipients: bool = False
    # Offered on the flow's bar only when this holds (besides the state).
    offered: Callable[[FlowView], bool] = field(default=_always)
    done_one: str = ""  # `done` for a single row, its words agreeing («1 destinatario...»)
    # Where the action may leave the flow in more than one state: (success, done) for a
    # state other than the usual (Invia on a service that wants approval).
    by_state: Mapping[FlowState, tuple[str, str]] = field(default_factory=dict)
    # It takes a note for the flow's author (--note, a text box): «Approva», «Respingi».
    takes_note: bool = False
    # Offered on «Da approvare» to whoever may decide, not on the flow's bar.
    in_review: bool = False

    def done_text(self, count: int, state: FlowState | None = None) -> str:
        if state is not None and state in self.by_state:
            return self.by_state[state][1]
        if count == 1 and self.done_one:
            return self.done_one
        return self.done.format(count=thousands(count))

    def success_in(self, state: FlowState) -> str:
        """The page's message once the action left the flow in `state`."""
        return self.by_state[state][0] if state in self.by_state else self.success

    @property
    def confirmable(self) -> bool:
        return self.reconfirm is not None

    @property
    def command(self) -> str:
        return self.name.replace("_", "-")

    def allows(self, state: FlowState) -> bool:
        return state in self.moves

    def on_bar(self, view: FlowView) -> bool:
        """Shown as a button on the flow's page."""
        return (
            not self.on_recipients
            and not self.in_review
            and self.allows(view.state)
            and self.offered(view)
        )


def _to(target: FlowState, *sources: FlowState) -> dict[FlowState, frozenset[FlowState]]:
    return {source: frozenset({target}) for source in sources}


def _has_retryable_failures(view: FlowView) -> bool:
    # Every failure final: nothing that «reinvia falliti» could fix.
    return view.retryable_failures > 0


FLOW_ACTIONS: tuple[FlowAction, ...] = (
    FlowAction(
        name="activate",
        label="Attiva",
        icon=":material/check_circle:",
        moves=_to(S.ACTIVE, S.INACTIVE),
        success="Flusso attivato: è pronto per l'invio.",
        done="attivato",
        help="Attiva un flusso (pronto per l'invio).",
    ),
    FlowAction(
        name="deactivate",
        label="Riporta in preparazione",
        icon=":material/edit:",
        # From «In attesa di approvazione»: the author withdraws his request.
        moves=_to(S.INACTIVE, S.ACTIVE, S.AWAITING_APPROVAL),
        success="Flusso di nuovo Inattivo: con «Modifica» puoi cambiarlo o sostituire il file.",
        done="riportato in preparazione",
        help="Riporta un flusso Attivo in preparazione (Inattivo), per cambiarne il file; su"
        " un flusso in attesa di approvazione ritira la richiesta.",
    ),
    FlowAction(
        name="send",
        label="Invia",
        icon=":material/send:",
        # Where the service's policy asks for it, the flow waits for a second operator.
        moves={S.ACTIVE: frozenset({S.SENDING, S.AWAITING_APPROVAL})},
        success="Invio avviato: i messaggi partono al ritmo consentito da IO.",
        done="invio avviato",
        help="Avvia l'invio di un flusso Attivo (o chiede l'approvazione, se il servizio la"
        " richiede).",
        reconfirm="Confermo: invia di nuovo questo file",
        by_state={
            S.AWAITING_APPROVAL: (
                "Il servizio richiede l'approvazione di un secondo operatore: il flusso è"
                " «In attesa di approvazione» e partirà quando un altro operatore abilitato lo"
                " approva in «Da approvare».",
                "in attesa di approvazione di un altro operatore",
            )
        },
    ),
    FlowAction(
        name="approve",
        label="Approva",
        icon=":material/verified:",
        moves=_to(S.SENDING, S.AWAITING_APPROVAL),
        success="Flusso approvato: l'invio è avviato (all'ora programmata, se indicata).",
        done="approvato, invio avviato",
        help="Approva un flusso in attesa di approvazione: l'invio parte (all'ora programmata,"
        " se indicata). Non può farlo chi l'ha preparato o inviato.",
        takes_note=True,
        in_review=True,
    ),
    FlowAction(
        name="reject",
        label="Respingi",
        icon=":material/block:",
        moves=_to(S.INACTIVE, S.AWAITING_APPROVAL),
        success="Flusso respinto: torna «Inattivo» e l'autore legge la tua nota sul flusso.",
        done="respinto, di nuovo Inattivo",
        help="Respinge un flusso in attesa di approvazione: torna Inattivo, con la nota (--note,"
        " obbligatoria) che l'autore legge sul flusso.",
        takes_note=True,
        in_review=True,
    ),
    FlowAction(
        name="pause",
        label="Sospendi",
        icon=":material/pause:",
        moves=_to(S.PAUSED, S.SENDING),
        success="Invio sospeso.",
        done="sospeso",
        help="Sospende l'invio.",
    ),
    FlowAction(
        name="resume",
        label="Riprendi",
        icon=":material/play_arrow:",
        moves=_to(S.SENDING, S.PAUSED),
        success="Invio ripreso: nessun messaggio già inviato sarà ripetuto.",
        done="ripreso",
        help="Riprende l'invio (senza reinviare nulla).",
    ),
    FlowAction(
        name="cancel",
        label="Annulla flusso",
        icon=":material/cancel:",
        moves=_to(S.CANCELLED, S.INACTIVE, S.ACTIVE, S.AWAITING_APPROVAL, S.SENDING, S.PAUSED),
        success="Flusso annullato.",
        done="annullato",
        help="Annulla il flusso (quanto inviato resta inviato).",
        confirmation=(
            "Il flusso sarà fermato per sempre. I messaggi già inviati restano inviati e non "
            "si possono ritirare."
        ),
    ),
    FlowAction(
        name="retry_failed",
        label="Reinvia falliti",
        icon=":material/replay:",
        moves=_to(S.SENDING, S.INCOMPLETE),
        success="I destinatari falliti per errori temporanei saranno reinviati.",
        done="{count} destinatari di nuovo da inviare",
        done_one="1 destinatario di nuovo da inviare",
        help="Reinvia i destinatari falliti per errori temporanei.",
        offered=_has_retryable_failures,
    ),
    FlowAction(
        name="resend_uncertain",
        label="Reinvia",
        icon=":material/replay:",
        # Sent by the dispatcher while the flow is «In invio», at «Riprendi» when «Sospeso»;
        # a finished flow goes back to «In invio». Never on an «Annullato» one: nothing
        # would send the row.
        moves={
            S.SENDING: frozenset({S.SENDING}),
            S.PAUSED: frozenset({S.PAUSED}),
            S.INCOMPLETE: frozenset({S.SENDING}),
        },
        success="Il destinatario sarà reinviato.",
        done="{count} destinatari di nuovo da inviare",
        done_one="1 destinatario di nuovo da inviare",
        help="Reinvia i destinatari con esito incerto (tutti, se non indicati).",
        on_recipients=True,
    ),
    FlowAction(
        name="mark_uncertain_sent",
        label="Segna come inviato",
        icon=":material/done:",
        # Records what the operator found out, in any state that can have such rows; a
        # flow whose last open row it was finishes.
        moves={
            S.SENDING: frozenset({S.SENDING, S.SENT, S.INCOMPLETE}),
            S.PAUSED: frozenset({S.PAUSED}),
            S.INCOMPLETE: frozenset({S.INCOMPLETE, S.SENT}),
            S.CANCELLED: frozenset({S.CANCELLED}),
        },
        success="Destinatario segnato come inviato.",
        done="{count} destinatari segnati come inviati",
        done_one="1 destinatario segnato come inviato",
        help="Segna come inviati i destinatari con esito incerto (tutti, se non indicati).",
        on_recipients=True,
    ),
)

BY_NAME: dict[str, FlowAction] = {action.name: action for action in FLOW_ACTIONS}
BY_COMMAND: dict[str, FlowAction] = {action.command: action for action in FLOW_ACTIONS}


def _italian_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} o {words[-1]}"


def check_allowed(action: FlowAction, state: FlowState) -> None:
    """The one state guard of every flow action."""
    if action.allows(state):
        return
    states = _italian_list([f"«{s.value}»" for s in FlowState if s in action.moves])
    raise Conflict(
        f"Il flusso è «{state.value}»: «{action.label}» è possibile solo per un flusso {states}."
    )
