"""The operators' actions on a flow and the moves of its state.

Every action is described in appio_core.flows.registry and registered here under its
name with `@flow_action`, which finds the flow, checks the actor may send on its
service and applies the action's state guard before the action's own body runs, and
records the action in the audit log, done or refused: the one place that does.
Every function takes the caller's session and the acting operator and never commits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.audit import AuditAction, recording
from appio_core.domain import (
    FINAL_OUTCOMES,
    POSITIVE_OUTCOMES,
    FlowState,
    Outcome,
    can_move,
)
from appio_core.errors import Conflict
from appio_core.flows.access import active_service, changeable_service, flow_or_404
from appio_core.flows.approval import approval_required, decide, request_approval, withdraw
from appio_core.flows.confirmations import (
    SameFileSentToday,
    same_file_sent_today,
)
from appio_core.flows.queries import outcome_counts
from appio_core.flows.registry import BY_NAME, FlowAction, check_allowed
from appio_core.storage.db import rowcount
from appio_core.storage.models import Flow, Notification, utcnow

P = ParamSpec("P")
R = TypeVar("R")


_RUNNERS: dict[str, Callable[..., Flow | int]] = {}
# What an action's body adds to its audit entry (who decided, and why he could).
_SAID: ContextVar[list[str] | None] = ContextVar("flow_action_said", default=None)


def _say(words: str) -> None:
    said = _SAID.get()
    if said is not None and words:
        said.append(words)


def flow_action(
    name: str,
) -> Callable[
    [Callable[Concatenate[Session, Actor, Flow, P], R]],
    Callable[Concatenate[Session, Actor, int, P], R],
]:
    """Registers the body of the registry's action `name`: the flow is looked up, the
    actor's permission and the action's state guard checked, then the body runs."""
    action = BY_NAME[name]
    audited = AuditAction.of_flow_command(action.command)

    def register(
        body: Callable[Concatenate[Session, Actor, Flow, P], R],
    ) -> Callable[Concatenate[Session, Actor, int, P], R]:
        @functools.wraps(body)
        def run(
            session: Session, actor: Actor, flow_id: int, *args: P.args, **kwargs: P.kwargs
        ) -> R:
            said = _SAID.set([])
            try:
                with recording(session, actor, audited, f"flusso n. {flow_id}") as entry:
                    flow = flow_or_404(session, flow_id)
                    entry.target = flow_target(flow)  # named even when the actor may not act
                    changeable_service(session, actor, flow.service_id, sends=False)
                    source = FlowState(flow.state)
                    if action.on_recipients and args:
                        entry.detail = _chosen(args[0])  # type: ignore[arg-type]
                    check_allowed(action, source)
                    if action.name in SENDS:
                        # A deactivated service sends nothing: what would send again waits.
                        active_service(session, actor, flow.service_id)
                    result = body(session, actor, flow, *args, **kwargs)
                    done = _done(source, flow, result, bool(kwargs.get("force")))
                    note = str(kwargs.get("note") or "").strip()
                    words = [entry.detail, *(_SAID.get() or []), done]
                    words.append(f"Nota: «{note}»." if note else "")
                    entry.detail = " ".join(w for w in words if w)
                    return result
            finally:
                _SAID.reset(said)

        _RUNNERS[name] = run  # type: ignore[assignment]
        return run

    return register


# The actions after which the dispatcher sends something.
SENDS = frozenset({"send", "approve", "resume", "retry_failed", "resend_uncertain"})


def flow_target(flow: Flow) -> str:
    """A flow as the audit log names it."""
    return f"flusso n. {flow.id} «{flow.name}»"


def _chosen(recipient_ids: Sequence[int], shown: int = 20) -> str:
    ids = ", ".join(str(i) for i in list(recipient_ids)[:shown])
    more = f" e altri {len(recipient_ids) - shown}" if len(recipient_ids) > shown else ""
    return f"Destinatari scelti: n. {ids}{more}." if recipient_ids else ""


def _done(source: FlowState, flow: Flow, result: object, forced: bool) -> str:
    parts = []
    if isinstance(result, int):
        parts.append("1 destinatario." if result == 1 else f"{result} destinatari.")
    target = FlowState(flow.state)
    if target != source:
        parts.append(f"Stato: da «{source.value}» a «{target.value}».")
    if forced:
        parts.append(
            "Con la conferma esplicita dell'operatore (ammesso lo stesso file già inviato oggi)."
        )
    return " ".join(parts)


def registered() -> frozenset[str]:
    return frozenset(_RUNNERS)


@dataclass(frozen=True)
class Done:
    state: FlowState  # the flow's state once the action ran
    count: int | None  # the rows it changed, for the actions on rows


def perform(
    session: Session,
    actor: Actor,
    action: FlowAction,
    flow_id: int,
    *,
    recipient_ids: Sequence[int] = (),
    force: bool = False,
    note: str = "",
) -> Done:
    """Runs any registered action the same way (the pages' buttons, `appio flow`)."""
    run = _RUNNERS[action.name]
    if action.takes_note:
        result = run(session, actor, flow_id, note=note)
    elif action.on_recipients:
        result = run(session, actor, flow_id, recipient_ids)
    elif action.confirmable:
        result = run(session, actor, flow_id, force=force)
    else:
        result = run(session, actor, flow_id)
    state = FlowState(flow_or_404(session, flow_id).state)
    return Done(state, result if isinstance(result, int) else None)


def _move(flow: Flow, target: FlowState) -> None:
    source = FlowState(flow.state)
    if not can_move(source, target):
        raise Conflict(f"Il flusso è «{source.value}»: non può passare a «{target.value}».")
    flow.state = target


@flow_action("activate")
def activate(session: Session, actor: Actor, flow: Flow) -> Flow:
    if flow.recipients_total == 0:
        raise Conflict("Il flusso non ha destinatari: carica un file prima di attivarlo.")
    _move(flow, FlowState.ACTIVE)
    flow.activated_at = utcnow()
    return flow


@flow_action("deactivate")
def deactivate(session: Session, actor: Actor, flow: Flow) -> Flow:
    """Back to preparation; a flow waiting for approval loses its request."""
    _say(withdraw(flow, actor.username))
    _move(flow, FlowState.INACTIVE)
    flow.activated_at = None
    return flow


@flow_action("send")
def send(session: Session, actor: Actor, flow: Flow, *, force: bool = False) -> Flow:
    """Hands the flow to the dispatcher. A file already sent today for the same service
    needs `force` (the operator's explicit confirmation). The service must be active
    (checked with every action of SENDS)."""
    if not force:
        twin = same_file_sent_today(session, flow)
        if twin is not None:
            raise SameFileSentToday(
                f"Lo stesso file è già stato inviato oggi per questo servizio (flusso "
                f"n. {twin.id} «{twin.name}»). Conferma se vuoi inviarlo di nuovo."
            )
    if approval_required(flow.service, flow.recipients_total):
        _move(flow, FlowState.AWAITING_APPROVAL)
        _say(request_approval(flow, actor.username, utcnow()))
        return flow
    _move(flow, FlowState.SENDING)
    flow.started_at = utcnow()
    return flow


@flow_action("approve")
def approve(session: Session, actor: Actor, flow: Flow, *, note: str = "") -> Flow:
    """The second pair of eyes: the flow sends (at its scheduled time, if any)."""
    for words in decide(session, actor, flow, note, approved=True):
        _say(words)
    return flow


@flow_action("reject")
def reject(session: Session, actor: Actor, flow: Flow, *, note: str = "") -> Flow:
    """Back to preparation, with the note the author reads on the flow."""
    for words in decide(session, actor, flow, note, approved=False):
        _say(words)
    return flow


@flow_action("pause")
def pause(session: Session, actor: Actor, flow: Flow) -> Flow:
    _move(flow, FlowState.PAUSED)
    return flow


@flow_action("resume")
def resume(session: Session, actor: Actor, flow: Flow) -> Flow:
    """Sending goes on with the rows still to send; what was sent is never sent again."""
    _move(flow, FlowState.SENDING)
    return flow


@flow_action("cancel")
def cancel(session: Session, actor: Actor, flow: Flow) -> Flow:
    """Stops the flow for good; the rows not yet sent stay «da inviare», sent ones stay sent."""
    _move(flow, FlowState.CANCELLED)
    flow.finished_at = utcnow()
    return flow


@flow_action("retry_failed")
def retry_failed(session: Session, actor: Actor, flow: Flow) -> int:
    """«Reinvia falliti»: only the rows whose failure was temporary (IO busy or unreachable)."""
    count = rowcount(
        session.execute(
            update(Notification)
            .where(
                Notification.flow_id == flow.id,
                Notification.outcome == Outcome.ERROR,
                Notification.retryable.is_(True),
                Notification.io_message_id.is_(None),
                Notification.purged_at.is_(None),  # the message's text is gone
            )
            .values(
                outcome=Outcome.PENDING,
                attempts=0,
                next_attempt_at=None,
                retryable=False,
                send_started_at=None,
                error_detail=None,
                updated_at=utcnow(),
            )
        )
    )
    if count == 0:
        raise Conflict("Nessun destinatario da reinviare: i falliti hanno errori definitivi.")
    _move(flow, FlowState.SENDING)
    return count


def _uncertain(
    session: Session, flow: Flow, recipient_ids: Sequence[int], *, to_send: bool = False
) -> list[int]:
    ids = list(
        session.scalars(
            select(Notification.id).where(
                Notification.flow_id == flow.id,
                Notification.outcome == Outcome.UNCERTAIN,
                Notification.id.in_(recipient_ids),
            )
        )
    )
    if not ids:
        raise Conflict("Nessuno dei destinatari scelti ha esito incerto.")
    if to_send:
        purged = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.id.in_(ids), Notification.purged_at.is_not(None))
        )
        if purged:
            raise Conflict(
                f"{purged} dei destinatari scelti non hanno più il testo del messaggio (dati"
                " rimossi dopo il periodo di conservazione): si possono solo segnare come"
                " inviati."
            )
    return ids


@flow_action("resend_uncertain")
def resend_uncertain(
    session: Session, actor: Actor, flow: Flow, recipient_ids: Sequence[int]
) -> int:
    """The operator decided: these «esito incerto» rows are sent again."""
    ids = _uncertain(session, flow, recipient_ids, to_send=True)
    session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(
            outcome=Outcome.PENDING,
            next_attempt_at=None,
            send_started_at=None,
            retryable=False,
            updated_at=utcnow(),
        )
    )
    if FlowState(flow.state) == FlowState.INCOMPLETE:
        _move(flow, FlowState.SENDING)  # finished: the dispatcher takes the flow up again
    return len(ids)


@flow_action("mark_uncertain_sent")
def mark_uncertain_sent(
    session: Session, actor: Actor, flow: Flow, recipient_ids: Sequence[int]
) -> int:
    """The operator decided: these «esito incerto» rows did reach IO."""
    ids = _uncertain(session, flow, recipient_ids)
    session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(
            outcome=Outcome.ACCEPTED,
            error_detail=f"Segnato come inviato da {actor.username}.",
            updated_at=utcnow(),
        )
    )
    refresh_state(session, flow)
    return len(ids)


def refresh_state(session: Session, flow: Flow) -> None:
    """Moves a flow whose recipients all have a final outcome to Inviato or Invio incompleto
    (and an Inviato flow to Invio incompleto when a status read brought a negative one)."""
    state = FlowState(flow.state)
    if state not in (FlowState.SENDING, FlowState.INCOMPLETE, FlowState.SENT):
        return
    # One row left to send is enough to keep the flow going: rows waiting for their own send
    # date (send_after) can keep a flow «In invio» for days, and the dispatcher asks every
    # time it finds nothing to claim. An index seek, where counting every outcome is a scan.
    unsent = (
        select(Notification.id)
        .where(
            Notification.flow_id == flow.id,
            Notification.outcome.in_([Outcome.PENDING, Outcome.SENDING]),
        )
        .limit(1)
    )
    if session.scalar(unsent) is not None:
        return
    counts = outcome_counts(session, flow.id)
    negative = any(n for o, n in counts.items() if o in FINAL_OUTCOMES - POSITIVE_OUTCOMES)
    target = FlowState.INCOMPLETE if negative else FlowState.SENT
    if target != state and can_move(state, target):
        flow.state = target
        if state == FlowState.SENDING:
            flow.finished_at = utcnow()
