"""Reading flows: one flow with its counts, the archive, a flow's recipients."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import (
    Actor,
    enabled_service_ids,
    require_service_read,
)
from appio_core.domain import (
    NEGATIVE_OUTCOMES,
    POSITIVE_OUTCOMES,
    FeatureLevel,
    FlowState,
    Outcome,
)
from appio_core.flows.access import flow_or_404
from appio_core.storage.models import Flow, Notification


@dataclass(frozen=True)
class FlowProgress:
    """How far sending has gone, as the flow's page shows it."""

    total: int
    reached: int  # IO has the message
    negative: int  # final, without a message on IO (or not known to have one)
    waiting: int  # still to send, or being sent
    counts: tuple[tuple[Outcome, int], ...]  # every outcome present, in the domain's order

    @classmethod
    def of(cls, total: int, counts: dict[Outcome, int]) -> FlowProgress:
        return cls(
            total=total,
            reached=sum(n for o, n in counts.items() if o in POSITIVE_OUTCOMES),
            negative=sum(n for o, n in counts.items() if o in NEGATIVE_OUTCOMES),
            waiting=counts.get(Outcome.PENDING, 0) + counts.get(Outcome.SENDING, 0),
            counts=tuple((o, counts[o]) for o in Outcome if counts.get(o)),
        )

    @property
    def share_done(self) -> float:
        """From 0 to 1: the rows with a final outcome."""
        return (self.reached + self.negative) / max(self.total, 1)


@dataclass(frozen=True)
class FlowView:
    id: int
    name: str
    description: str
    natura: str
    service_id: int
    service_name: str
    state: FlowState
    created_by: str
    created_at: datetime
    activated_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    source_filename: str
    check_profile: bool
    feature_level: FeatureLevel
    scheduled_at: datetime | None
    recipients_total: int
    counts: dict[Outcome, int] = field(default_factory=dict)
    retryable_failures: int = 0  # «errore» rows that «reinvia falliti» would send again
    # Why the dispatcher paused the flow by itself (IO refused the service's keys).
    dispatcher_note: str | None = None

    @property
    def progress(self) -> FlowProgress:
        return FlowProgress.of(self.recipients_total, self.counts)


def outcome_counts(session: Session, flow_id: int) -> dict[Outcome, int]:
    rows = session.execute(
        select(Notification.outcome, func.count())
        .where(Notification.flow_id == flow_id)
        .group_by(Notification.outcome)
    )
    return {Outcome(outcome): count for outcome, count in rows}


def _view(session: Session, flow: Flow, with_counts: bool) -> FlowView:
    return FlowView(
        id=flow.id,
        name=flow.name,
        description=flow.description,
        natura=flow.natura,
        service_id=flow.service_id,
        service_name=flow.service.name,
        state=FlowState(flow.state),
        created_by=flow.created_by,
        created_at=flow.created_at,
        activated_at=flow.activated_at,
        started_at=flow.started_at,
        finished_at=flow.finished_at,
        source_filename=flow.source_filename,
        check_profile=flow.check_profile,
        feature_level=flow.feature_level,
        scheduled_at=flow.scheduled_at,
        recipients_total=flow.recipients_total,
        counts=outcome_counts(session, flow.id) if with_counts else {},
        dispatcher_note=flow.dispatcher_note,
    )


def get_flow(session: Session, actor: Actor, flow_id: int) -> FlowView:
    flow = flow_or_404(session, flow_id)
    require_service_read(session, actor, flow.service_id)
    view = _view(session, flow, with_counts=True)
    if not view.counts.get(Outcome.ERROR):
        return view
    retryable = session.scalar(
        select(func.count()).where(
            Notification.flow_id == flow.id,
            Notification.outcome == Outcome.ERROR,
            Notification.retryable.is_(True),
        )
    )
    return replace(view, retryable_failures=retryable or 0)


@dataclass(frozen=True)
class FlowFilters:
    text: str = ""  # in the name or description
    state: FlowState | None = None
    natura: str | None = None
    service_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive
    limit: int = 500


def search_flows(session: Session, actor: Actor, filters: FlowFilters) -> list[FlowView]:
    """The archive of flows the actor may see, newest first."""
    stmt = select(Flow).order_by(Flow.created_at.desc(), Flow.id.desc()).limit(filters.limit)
    allowed = enabled_service_ids(session, actor)
    if allowed is not None:
        stmt = stmt.where(Flow.service_id.in_(allowed))
    if filters.text.strip():
        like = f"%{filters.text.strip().lower()}%"
        stmt = stmt.where(
            func.lower(Flow.name).like(like) | func.lower(Flow.description).like(like)
        )
    if filters.state is not None:
        stmt = stmt.where(Flow.state == filters.state)
    if filters.natura:
        stmt = stmt.where(Flow.natura == filters.natura)
    if filters.service_id is not None:
        stmt = stmt.where(Flow.service_id == filters.service_id)
    if filters.created_from is not None:
        stmt = stmt.where(Flow.created_at >= filters.created_from)
    if filters.created_to is not None:
        stmt = stmt.where(Flow.created_at < filters.created_to)
    return [_view(session, f, with_counts=False) for f in session.scalars(stmt)]


def list_recipients(
    session: Session,
    actor: Actor,
    flow_id: int,
    *,
    outcome: Outcome | None = None,
    fiscal_code: str = "",
    limit: int = 1000,
    offset: int = 0,
) -> list[Notification]:
    flow = flow_or_404(session, flow_id)
    require_service_read(session, actor, flow.service_id)
    stmt = (
        select(Notification)
        .where(Notification.flow_id == flow_id)
        .order_by(Notification.row_number)
        .limit(limit)
        .offset(offset)
    )
    if outcome is not None:
        stmt = stmt.where(Notification.outcome == outcome)
    if fiscal_code.strip():
        stmt = stmt.where(Notification.fiscal_code == fiscal_code.strip().upper())
    return list(session.scalars(stmt))
