"""The operators' actions on a flow and the moves of its state.

Every function takes the caller's session and the acting operator and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import (
    Actor,
)
from appio_core.domain import (
    FINAL_OUTCOMES,
    POSITIVE_OUTCOMES,
    FlowState,
    Outcome,
    can_move,
)
from appio_core.errors import Conflict
from appio_core.flows.access import active_service, flow_for_send
from appio_core.flows.queries import outcome_counts
from appio_core.italian import ROME
from appio_core.storage.db import rowcount
from appio_core.storage.models import Flow, Notification, utcnow


class SameFileSentToday(Conflict):
    code = "file_gia_inviato"


def _move(flow: Flow, target: FlowState) -> None:
    source = FlowState(flow.state)
    if not can_move(source, target):
        raise Conflict(f"Il flusso è «{source.value}»: non può passare a «{target.value}».")
    flow.state = target


def activate(session: Session, actor: Actor, flow_id: int) -> Flow:
    flow = flow_for_send(session, actor, flow_id)
    if flow.recipients_total == 0:
        raise Conflict("Il flusso non ha destinatari: carica un file prima di attivarlo.")
    _move(flow, FlowState.ACTIVE)
    flow.activated_at = utcnow()
    return flow


def deactivate(session: Session, actor: Actor, flow_id: int) -> Flow:
    flow = flow_for_send(session, actor, flow_id)
    _move(flow, FlowState.INACTIVE)
    flow.activated_at = None
    return flow


def send(session: Session, actor: Actor, flow_id: int, *, force: bool = False) -> Flow:
    """Hands the flow to the dispatcher. A file already sent today for the same service
    needs `force` (the operator's explicit confirmation)."""
    flow = flow_for_send(session, actor, flow_id)
    active_service(session, actor, flow.service_id)
    if FlowState(flow.state) != FlowState.ACTIVE:
        raise Conflict(f"Il flusso è «{flow.state}»: si può inviare solo un flusso «Attivo».")
    if not force:
        twin = same_file_sent_today(session, flow)
        if twin is not None:
            raise SameFileSentToday(
                f"Lo stesso file è già stato inviato oggi per questo servizio (flusso "
                f"n. {twin.id} «{twin.name}»). Conferma se vuoi inviarlo di nuovo."
            )
    _move(flow, FlowState.SENDING)
    flow.started_at = utcnow()
    return flow


def same_file_sent_today(session: Session, flow: Flow, now: datetime | None = None) -> Flow | None:
    now = now or utcnow()
    midnight = now.astimezone(ROME).replace(hour=0, minute=0, second=0, microsecond=0)
    return session.scalar(
        select(Flow)
        .where(
            Flow.id != flow.id,
            Flow.service_id == flow.service_id,
            Flow.source_checksum == flow.source_checksum,
            Flow.started_at >= midnight,
        )
        .order_by(Flow.started_at.desc())
        .limit(1)
    )


def pause(session: Session, actor: Actor, flow_id: int) -> Flow:
    flow = flow_for_send(session, actor, flow_id)
    _move(flow, FlowState.PAUSED)
    return flow


def resume(session: Session, actor: Actor, flow_id: int) -> Flow:
    """Sending goes on with the rows still to send; what was sent is never sent again."""
    flow = flow_for_send(session, actor, flow_id)
    _move(flow, FlowState.SENDING)
    return flow


def cancel(session: Session, actor: Actor, flow_id: int) -> Flow:
    """Stops the flow for good; the rows not yet sent stay «da inviare», sent ones stay sent."""
    flow = flow_for_send(session, actor, flow_id)
    _move(flow, FlowState.CANCELLED)
    flow.finished_at = utcnow()
    return flow


def retry_failed(session: Session, actor: Actor, flow_id: int) -> int:
    """«Reinvia falliti»: only the rows whose failure was temporary (IO busy or unreachable)."""
    flow = flow_for_send(session, actor, flow_id)
    if FlowState(flow.state) != FlowState.INCOMPLETE:
        raise Conflict("Si possono reinviare i falliti solo di un flusso «Invio incompleto».")
    count = rowcount(
        session.execute(
            update(Notification)
            .where(
                Notification.flow_id == flow.id,
                Notification.outcome == Outcome.ERROR,
                Notification.retryable.is_(True),
                Notification.io_message_id.is_(None),
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


def _uncertain(session: Session, flow: Flow, recipient_ids: Sequence[int]) -> list[int]:
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
    return ids


def resend_uncertain(
    session: Session, actor: Actor, flow_id: int, recipient_ids: Sequence[int]
) -> int:
    """The operator decided: these «esito incerto» rows are sent again."""
    flow = flow_for_send(session, actor, flow_id)
    ids = _uncertain(session, flow, recipient_ids)
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
    if FlowState(flow.state) in (FlowState.INCOMPLETE, FlowState.SENT):
        _move(flow, FlowState.SENDING)
    return len(ids)


def mark_uncertain_sent(
    session: Session, actor: Actor, flow_id: int, recipient_ids: Sequence[int]
) -> int:
    """The operator decided: these «esito incerto» rows did reach IO."""
    flow = flow_for_send(session, actor, flow_id)
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
    counts = outcome_counts(session, flow.id)
    if any(counts.get(o, 0) for o in (Outcome.PENDING, Outcome.SENDING)):
        return
    negative = any(n for o, n in counts.items() if o in FINAL_OUTCOMES - POSITIVE_OUTCOMES)
    target = FlowState.INCOMPLETE if negative else FlowState.SENT
    if target != state and can_move(state, target):
        flow.state = target
        if state == FlowState.SENDING:
            flow.finished_at = utcnow()
