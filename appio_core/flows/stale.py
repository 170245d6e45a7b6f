"""Flows left unfinished past the retention period: cancelled by the purge of personal data.

A flow that never finishes (left «Inattivo», «Attivo» or «Sospeso») would keep its
recipients' codici fiscali forever, since the purge takes only the rows of finished or
cancelled flows. Once its last change is older than the retention period, the purge
cancels it first, then purges its rows like any cancelled flow's.

- **Its last change** is `flows.updated_at`: every write to the flow's row sets it (an
  edit, a new file, each change of state, the dispatcher's own pause), and nothing else
  about a flow in these states changes.
- **Cancelled, whatever the state of the three**: a flow whose rows lost their codici
  fiscali can never be sent, so «Annullato» is the honest state, and it is one of
  FLOW_TRANSITIONS from each of them. Each cancellation is in the audit log (the purge's
  actor, «Flusso: Annulla», why in the detail).
- **Never a send in flight**: a flow «In invio» is not stale, and the rows are still
  purged one by one only when their own last change is past the retention
  (notifications.retention): a claimed or started row has just been stamped.
- **An operator's move wins**: the flow is cancelled only if it is still in the state
  read and still stale (one guarded UPDATE): a flow resumed or edited meanwhile is not.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from appio_core.audit import AuditAction, Who, record
from appio_core.domain import FlowState, can_move
from appio_core.flows.actions import flow_target
from appio_core.italian import counted, local_date
from appio_core.storage.db import rowcount
from appio_core.storage.models import Flow

# Unfinished, and nobody is sending them: In invio is the dispatcher's.
STALE_STATES = (
    FlowState.INACTIVE,
    FlowState.ACTIVE,
    FlowState.AWAITING_APPROVAL,
    FlowState.PAUSED,
)
assert all(can_move(state, FlowState.CANCELLED) for state in STALE_STATES)


def is_stale(cutoff: datetime) -> ColumnElement[bool]:
    """Flows unfinished and unchanged since before `cutoff`."""
    return Flow.state.in_(STALE_STATES) & (Flow.updated_at < cutoff)


def count_stale(session: Session, cutoff: datetime) -> int:
    """The flows a purge now would cancel (`appio purge --dry-run`)."""
    return session.scalar(select(func.count()).select_from(Flow).where(is_stale(cutoff))) or 0


def cancel_stale_flows(
    session: Session, who: Who, cutoff: datetime, now: datetime, days: int
) -> int:
    """Cancels every stale flow in the caller's transaction, each with its audit entry;
    returns how many."""
    cancelled = 0
    for flow in list(session.scalars(select(Flow).where(is_stale(cutoff)).order_by(Flow.id))):
        source, changed = FlowState(flow.state), flow.updated_at
        moved = session.execute(
            update(Flow)
            .where(Flow.id == flow.id, Flow.state == source, is_stale(cutoff))
            .values(state=FlowState.CANCELLED, finished_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if not rowcount(moved):
            continue  # an operator acted on it meanwhile: not stale any more
        record(
            session,
            who,
            AuditAction.FLOW_CANCEL,
            flow_target(flow),
            detail=(
                f"Annullato dalla rimozione dei dati personali: il flusso era «{source.value}»"
                f" senza modifiche dal {local_date(changed)}, oltre il periodo di"
                f" conservazione ({counted(days, 'giorno', 'giorni')}). I codici fiscali e i"
                " testi dei destinatari vengono rimossi, quindi non potrà più essere inviato."
                f" Stato: da «{source.value}» a «{FlowState.CANCELLED.value}»."
            ),
        )
        cancelled += 1
    return cancelled
