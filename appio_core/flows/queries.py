"""Reading flows: one flow with its counts, the archive, a flow's recipients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import (
    Actor,
    enabled_service_ids,
    require_service_read,
)
from appio_core.content import cta
from appio_core.content.fiscal_code import stored_form
from appio_core.domain import (
    NEGATIVE_OUTCOMES,
    POSITIVE_OUTCOMES,
    FeatureLevel,
    FlowState,
    Outcome,
)
from appio_core.flows.access import flow_or_404
from appio_core.italian import local_date, local_time, thousands
from appio_core.paging import Page, bounds
from appio_core.storage.models import Flow, Notification, Service, utcnow
from appio_core.templates.use import TemplateUse, used_template


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
    subject_template: str | None = None
    text_template: str | None = None
    source_checksum: str = ""  # the file's SHA-256
    # Four eyes (appio_core.flows.approval): who asked and when, who approved and when,
    # and the note the author reads (a rejection's reason, a request taken away).
    approval_requested_by: str | None = None
    approval_requested_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    approval_note: str | None = None
    buttons: cta.Buttons = ()
    secure_channel: bool = False
    template: TemplateUse | None = None  # the saved template it was made from
    # «Rettifica»: the flow this one corrects, and the flows correcting this one.
    corrects_flow_id: int | None = None
    corrected_by: tuple[int, ...] = ()

    @property
    def progress(self) -> FlowProgress:
        return FlowProgress.of(self.recipients_total, self.counts)


@dataclass(frozen=True)
class ScheduledRows:
    """Rows still to send whose own send date (from the file) is yet to come."""

    count: int
    first: datetime | None
    last: datetime | None

    def describe(self) -> str:
        """In Italian, Rome time: what the flow's page and `appio flow status` say."""
        if not self.count:
            return ""
        if self.count == 1 or self.first == self.last:
            when = f"il {local_time(self.first)}"
        else:
            when = f"dal {local_time(self.first)} al {local_time(self.last)}"
        rows = "1 riga attende" if self.count == 1 else f"{thousands(self.count)} righe attendono"
        return f"{rows} la propria data di invio, indicata nel file: partiranno {when}."


def scheduled_rows(session: Session, flow_id: int, now: datetime | None = None) -> ScheduledRows:
    """The flow's rows «da inviare» that the dispatcher leaves until their send date."""
    now = now or utcnow()
    count, first, last = session.execute(
        select(
            func.count(), func.min(Notification.send_after), func.max(Notification.send_after)
        ).where(
            Notification.flow_id == flow_id,
            Notification.outcome == Outcome.PENDING,
            Notification.send_after > now,
        )
    ).one()
    # SQLite returns aggregates of a datetime column as text, without the column's type.
    return ScheduledRows(int(count or 0), _moment(first), _moment(last))


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def outcome_counts(session: Session, flow_id: int) -> dict[Outcome, int]:
    rows = session.execute(
        select(Notification.outcome, func.count())
        .where(Notification.flow_id == flow_id)
        .group_by(Notification.outcome)
    )
    return {Outcome(outcome): count for outcome, count in rows}


def _view(
    session: Session, flow: Flow, with_counts: bool, corrected_by: tuple[int, ...] = ()
) -> FlowView:
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
        subject_template=flow.subject_template,
        text_template=flow.text_template,
        source_checksum=flow.source_checksum,
        approval_requested_by=flow.approval_requested_by,
        approval_requested_at=flow.approval_requested_at,
        approved_by=flow.approved_by,
        approved_at=flow.approved_at,
        approval_note=flow.approval_note,
        buttons=cta.from_json(flow.cta),
        secure_channel=flow.secure_channel,
        # One flow's page only: a list needs no template's name (a query per row).
        template=used_template(session, flow.template_id, flow.template_version)
        if with_counts
        else None,
        corrects_flow_id=flow.corrects_flow_id,
        corrected_by=corrected_by,
    )


def flow_view(session: Session, flow: Flow, *, with_counts: bool = True) -> FlowView:
    """A flow the caller already found and checked (with its counts, unless told not to:
    they read every recipient)."""
    return _view(session, flow, with_counts=with_counts)


def _corrections_of(session: Session, flow_ids: list[int]) -> dict[int, tuple[int, ...]]:
    """The flows correcting each of these, oldest first (one query for a page)."""
    found: dict[int, list[int]] = {}
    if not flow_ids:
        return {}
    rows = session.execute(
        select(Flow.corrects_flow_id, Flow.id)
        .where(Flow.corrects_flow_id.in_(flow_ids))
        .order_by(Flow.id)
    )
    for original, correction in rows:
        found.setdefault(original or 0, []).append(correction)
    return {original: tuple(ids) for original, ids in found.items()}


def get_flow(session: Session, actor: Actor, flow_id: int) -> FlowView:
    flow = flow_or_404(session, flow_id)
    require_service_read(session, actor, flow.service_id)
    corrected_by = _corrections_of(session, [flow.id]).get(flow.id, ())
    view = _view(session, flow, with_counts=True, corrected_by=corrected_by)
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
    only_corrections: bool = False  # «Solo rettifiche»: the flows correcting another

    def describe(self) -> str:
        """The filter in words, for exports and the audit log."""
        parts = [
            f"{label}: {value}"
            for label, value in (
                ("testo", self.text.strip()),
                ("stato", self.state.value if self.state else ""),
                ("natura", self.natura or ""),
                ("servizio", self.service_id or ""),
                ("dal", local_date(self.created_from)),
                ("prima del", local_date(self.created_to)),
                ("solo rettifiche", "sì" if self.only_corrections else ""),
            )
            if value
        ]
        return "; ".join(parts) or "nessun filtro"


class FlowSortKey(StrEnum):
    ID = "id"
    NAME = "name"
    SERVICE = "service"
    NATURA = "natura"
    STATE = "state"
    RECIPIENTS = "recipients_total"
    CREATED_AT = "created_at"
    AUTHOR = "created_by"


@dataclass(frozen=True)
class FlowSort:
    key: FlowSortKey = FlowSortKey.CREATED_AT
    descending: bool = True


NEWEST_FIRST = FlowSort()
_FLOW_SORT_COLUMNS: dict[FlowSortKey, Any] = {
    FlowSortKey.ID: Flow.id,
    FlowSortKey.NAME: Flow.name,
    FlowSortKey.SERVICE: Service.name,
    FlowSortKey.NATURA: Flow.natura,
    FlowSortKey.STATE: Flow.state,
    FlowSortKey.RECIPIENTS: Flow.recipients_total,
    FlowSortKey.CREATED_AT: Flow.created_at,
    FlowSortKey.AUTHOR: Flow.created_by,
}


def _flow_order(sort: FlowSort) -> list[Any]:
    column = _FLOW_SORT_COLUMNS[sort.key]
    if sort.descending:
        return [column.desc(), Flow.id.desc()]
    return [column.asc(), Flow.id.asc()]


def _flow_conditions(session: Session, actor: Actor, filters: FlowFilters) -> list[Any]:
    where: list[Any] = []
    allowed = enabled_service_ids(session, actor)
    if allowed is not None:
        where.append(Flow.service_id.in_(allowed))
    if filters.text.strip():
        words = filters.text.strip().lower()
        where.append(
            func.lower(Flow.name).contains(words, autoescape=True)
            | func.lower(Flow.description).contains(words, autoescape=True)
        )
    if filters.state is not None:
        where.append(Flow.state == filters.state)
    if filters.natura:
        where.append(Flow.natura == filters.natura)
    if filters.service_id is not None:
        where.append(Flow.service_id == filters.service_id)
    if filters.created_from is not None:
        where.append(Flow.created_at >= filters.created_from)
    if filters.created_to is not None:
        where.append(Flow.created_at < filters.created_to)
    if filters.only_corrections:
        where.append(Flow.corrects_flow_id.is_not(None))
    return where


def search_flows(
    session: Session,
    actor: Actor,
    filters: FlowFilters,
    *,
    sort: FlowSort = NEWEST_FIRST,
    page: int = 1,
    page_size: int = 50,
) -> Page[FlowView]:
    """A page of the archive of flows the actor may see, with the total."""
    where = _flow_conditions(session, actor, filters)
    total = session.scalar(select(func.count()).select_from(Flow).where(*where)) or 0
    number, size, offset = bounds(total, page, page_size)
    stmt = (
        select(Flow)
        .join(Service, Service.id == Flow.service_id)
        .where(*where)
        .order_by(*_flow_order(sort))
        .limit(size)
        .offset(offset)
    )
    flows = list(session.scalars(stmt))
    corrections = _corrections_of(session, [f.id for f in flows])
    rows = [_view(session, f, False, corrections.get(f.id, ())) for f in flows]
    return Page(rows=rows, total=total, number=number, size=size)


def iter_flows(
    session: Session, actor: Actor, filters: FlowFilters, sort: FlowSort = NEWEST_FIRST
) -> Iterator[FlowView]:
    """Every flow matching the filters, streamed (for exports and the CLI)."""
    stmt = (
        select(Flow)
        .join(Service, Service.id == Flow.service_id)
        .where(*_flow_conditions(session, actor, filters))
        .order_by(*_flow_order(sort))
    )
    result = session.scalars(stmt, execution_options={"yield_per": 1000})
    for part in result.partitions(1000):
        corrections = _corrections_of(session, [f.id for f in part])
        for flow in part:
            yield _view(session, flow, False, corrections.get(flow.id, ()))


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
        stmt = stmt.where(Notification.fiscal_code == stored_form(fiscal_code))
    return list(session.scalars(stmt))
