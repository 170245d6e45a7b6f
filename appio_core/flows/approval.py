"""Four eyes: a flow that a service's policy holds waits for a second operator's decision.

The rules, each once:
- whether a flow needs approval: the service's ApprovalPolicy and the flow's recipients;
- who may decide (approve or reject): an operator who may send on the service and is not
  the flow's author (neither who imported it nor who asked); an administrator only where
  the service has a single operator (he is then the only possible second pair of eyes),
  and the audit log says so;
- a change to a waiting flow (its file, its templates, its details) takes the request away:
  the flow goes back to «Inattivo» with a note saying why.

The actions themselves («Invia», «Approva», «Respingi») are in appio_core.flows.actions,
like every action of the registry; the reads for «Da approvare» are here.
Every function takes the caller's session and the acting operator and never commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import (
    SENDING_ROLES,
    Actor,
    current_role,
    enabled_service_ids,
    require_service_read,
    require_service_send,
)
from appio_core.domain import ApprovalPolicy, FlowState, Role, can_move
from appio_core.errors import InvalidInput, NotFound, PermissionDenied
from appio_core.flows.access import flow_or_404
from appio_core.flows.queries import FlowView, flow_view
from appio_core.italian import local_time
from appio_core.storage.models import (
    Flow,
    Notification,
    Operator,
    Service,
    service_operators,
    utcnow,
)

# The warnings of the import kept with the flow for whoever approves it: the page shows
# at most this many (as «Verifica file» does), the count says how many there were.
REPORT_WARNINGS_KEPT = 200
NOTE_LENGTH = 2000  # a note to the author: a few sentences, not a document


def approval_required(service: Service, recipients: int) -> bool:
    """Whether «Invia» on a flow of `recipients` on this service waits for approval."""
    return ApprovalPolicy(service.approval_policy).applies(recipients, service.approval_threshold)


def check_note(note: str, *, required: bool) -> str:
    note = note.strip()
    if required and not note:
        raise InvalidInput(
            "Scrivi una nota per l'autore: perché il flusso è respinto e cosa deve correggere."
        )
    if len(note) > NOTE_LENGTH:
        raise InvalidInput(
            f"La nota è troppo lunga: ha {len(note)} caratteri, al massimo {NOTE_LENGTH}."
        )
    return note


def _authors(flow: Flow) -> set[str]:
    return {name for name in (flow.created_by, flow.approval_requested_by) if name}


def service_operator_names(session: Session, service_id: int) -> list[str]:
    """The active operators («operatore») enabled on the service: administrators see every
    service and are not counted."""
    return list(
        session.scalars(
            select(Operator.username)
            .join(service_operators, service_operators.c.operator_id == Operator.id)
            .where(
                service_operators.c.service_id == service_id,
                Operator.role == Role.OPERATOR,
                Operator.active.is_(True),
            )
            .order_by(Operator.username)
        )
    )


def decider_words(session: Session, actor: Actor, flow: Flow, doing: str) -> str:
    """Refuses who may not decide on the flow (PermissionDenied); for an administrator who
    may, the words the audit log records."""
    require_service_send(session, actor, flow.service_id, doing + " flussi")
    if actor.username in _authors(flow):
        raise PermissionDenied(
            f"Non puoi {doing} un flusso preparato o inviato da te: serve un altro operatore"
            " abilitato al servizio."
            + (
                " Per ritirare la tua richiesta usa «Riporta in preparazione»."
                if doing == "respingere"
                else ""
            )
        )
    if current_role(session, actor) != Role.ADMIN:
        return ""
    operators = service_operator_names(session, flow.service_id)
    if len(operators) > 1:
        raise PermissionDenied(
            f"Il servizio ha {len(operators)} operatori ({', '.join(operators)}): deve"
            f" {doing} uno di loro, non un amministratore."
        )
    only = f" ({operators[0]})" if operators else ""
    return f"Deciso da un amministratore: il servizio ha un solo operatore{only}."


def request_approval(flow: Flow, username: str, now: datetime) -> str:
    """«Invia» held (the caller moved the flow): who asked, and when. Returns the words of
    the audit log."""
    flow.approval_requested_by = username
    flow.approval_requested_at = now
    flow.approved_by = None
    flow.approved_at = None
    flow.approval_note = None
    service = flow.service
    policy = ApprovalPolicy(service.approval_policy).describe(service.approval_threshold)
    return f"Il servizio richiede l'approvazione ({policy})."


def decide(session: Session, actor: Actor, flow: Flow, note: str, *, approved: bool) -> list[str]:
    """«Approva» (the flow sends; the dispatcher waits for its scheduled time, if any) or
    «Respingi» (back to «Inattivo», with the note the author reads), on a flow the caller
    found «In attesa di approvazione». Returns the words of the audit log."""
    note = check_note(note, required=not approved)
    said = [
        decider_words(session, actor, flow, "approvare" if approved else "respingere"),
        f"Richiesto da {flow.approval_requested_by}.",
    ]
    target = FlowState.SENDING if approved else FlowState.INACTIVE
    assert can_move(FlowState(flow.state), target)
    flow.state = target
    now = utcnow()
    if approved:
        flow.approved_by = actor.username
        flow.approved_at = now
        flow.approval_note = note or None
        flow.started_at = now
    else:
        flow.activated_at = None
        flow.approval_note = f"Respinto da {actor.username} il {local_time(now)}: {note}"
    return said


def withdraw(flow: Flow, username: str) -> str:
    """«Riporta in preparazione» on a waiting flow: the request goes (the caller moves the
    flow). Returns the words of the audit log, "" when the flow was not waiting."""
    if FlowState(flow.state) != FlowState.AWAITING_APPROVAL:
        return ""
    flow.approval_requested_by = None
    flow.approval_requested_at = None
    flow.approval_note = f"Richiesta di approvazione ritirata da {username}."
    return "Richiesta di approvazione ritirata."


def take_request_away(flow: Flow, username: str, what: str, now: datetime) -> str:
    """A change to a flow that waits for approval: back to «Inattivo», the request gone
    and a note saying so. Returns the sentence (for the audit log and the CLI), or "" when
    the flow was not waiting."""
    if FlowState(flow.state) != FlowState.AWAITING_APPROVAL:
        return ""
    flow.state = FlowState.INACTIVE
    flow.activated_at = None
    flow.approval_requested_by = None
    flow.approval_requested_at = None
    flow.approval_note = (
        f"Richiesta di approvazione ritirata il {local_time(now)}: {what} cambiato da"
        f" {username}. Per inviarlo, attiva il flusso e premi di nuovo «Invia»."
    )
    return "La richiesta di approvazione è ritirata: il flusso torna «Inattivo»."


# -- reads for «Da approvare» --------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A flow waiting for approval, as the actor sees it."""

    view: FlowView
    may_decide: bool
    why_not: str  # in Italian, when he may not


def _decision_for(session: Session, actor: Actor, flow: Flow) -> tuple[bool, str]:
    try:
        decider_words(session, actor, flow, "approvare")
    except PermissionDenied as refused:
        return False, refused.message
    return True, ""


def _waiting(session: Session, actor: Actor) -> list[Flow]:
    stmt = (
        select(Flow)
        .where(Flow.state == FlowState.AWAITING_APPROVAL)
        .order_by(Flow.approval_requested_at, Flow.id)
    )
    allowed = enabled_service_ids(session, actor)
    if allowed is not None:
        stmt = stmt.where(Flow.service_id.in_(allowed))
    return list(session.scalars(stmt))


def awaiting_approval(session: Session, actor: Actor) -> list[Pending]:
    """The flows waiting for approval on the services the actor may see, oldest request
    first, each saying whether he may decide on it."""
    return [
        Pending(flow_view(session, flow, with_counts=False), *_decision_for(session, actor, flow))
        for flow in _waiting(session, actor)
    ]


def count_to_approve(session: Session, actor: Actor) -> int:
    """How many waiting flows the actor may decide on: the count in the navigation, read
    at every page (no recipient is read)."""
    if current_role(session, actor) not in SENDING_ROLES:
        return 0
    return sum(_decision_for(session, actor, flow)[0] for flow in _waiting(session, actor))


@dataclass(frozen=True)
class FileReport:
    """The «Verifica file» report of the flow's file as it was imported."""

    summary: str
    header_row: int
    columns: list[str]  # «amount: importo in centesimi, come in IO», one per column
    file_warnings: list[str]
    notes: list[str]
    warnings: list[dict[str, Any]]  # row, column, value, message: the first ones
    warnings_total: int

    @classmethod
    def of(cls, stored: str | None) -> FileReport | None:
        if not stored:
            return None  # a flow imported before the report was kept
        data = json.loads(stored)
        return cls(
            summary=data["summary"],
            header_row=int(data.get("header_row", 1)),
            columns=[
                f"{c['column']}: {c['reading']}" if c.get("reading") else c["column"]
                for c in data.get("columns", [])
            ],
            file_warnings=[w["message"] for w in data.get("file_warnings", [])],
            notes=list(data.get("notes", [])),
            warnings=list(data.get("warnings", [])),
            warnings_total=int(data.get("warnings_total", len(data.get("warnings", [])))),
        )


@dataclass(frozen=True)
class Review:
    """Everything the second operator needs to judge a flow."""

    view: FlowView
    checksum: str  # the file's SHA-256, hex
    report: FileReport | None
    first_row: int | None  # the spreadsheet rows of the recipients, for the preview
    last_row: int | None
    may_decide: bool
    why_not: str


def review(session: Session, actor: Actor, flow_id: int) -> Review:
    flow = flow_or_404(session, flow_id)
    require_service_read(session, actor, flow.service_id)
    first, last = session.execute(
        select(func.min(Notification.row_number), func.max(Notification.row_number)).where(
            Notification.flow_id == flow.id
        )
    ).one()
    waiting = FlowState(flow.state) == FlowState.AWAITING_APPROVAL
    may, why = _decision_for(session, actor, flow) if waiting else (False, "")
    return Review(
        view=flow_view(session, flow),
        checksum=flow.source_checksum,
        report=FileReport.of(flow.file_report),
        first_row=first,
        last_row=last,
        may_decide=may,
        why_not=why if waiting else f"Il flusso è «{flow.state.value}»: non attende approvazione.",
    )


@dataclass(frozen=True)
class RowMessage:
    """A recipient's message as IO will show it, for the preview of any row."""

    row: int
    fiscal_code: str
    subject: str
    markdown: str
    amount: int | None
    notice_number: str | None
    due_date: str | None


def row_message(session: Session, actor: Actor, flow_id: int, row: int) -> RowMessage:
    flow = flow_or_404(session, flow_id)
    require_service_read(session, actor, flow.service_id)
    found = session.scalar(
        select(Notification).where(Notification.flow_id == flow.id, Notification.row_number == row)
    )
    if found is None:
        raise NotFound(f"Il flusso non ha un destinatario alla riga {row} del file.")
    return RowMessage(
        row=row,
        fiscal_code=found.fiscal_code,
        subject=found.subject,
        markdown=found.markdown,
        amount=found.amount,
        notice_number=found.notice_number,
        due_date=found.due_date,
    )
