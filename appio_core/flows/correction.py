"""«Rettifica» of a flow: a new flow, «Inattivo», to the citizens whom IO accepted.

IO cannot delete or change a message once sent. A correction is a new flow on the same
service, linked to the original (`corrects_flow_id`), whose recipients are the original's
rows that IO accepted (each linked to its row: `corrects_notification_id`), with their
file's values for the placeholders. Its subject starts from the original's with
«Rettifica: » in front; the operator writes the text saying what changed. Its templates
are checked over those values with the rules of a template's change (flows.editing).
It then goes the way of any flow: Attiva, Invia. It carries no payment notice: a notice
already sent stays the one to pay.
Every function takes the caller's session and the acting operator and never commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, require_service_read
from appio_core.audit import AuditAction, recording
from appio_core.content.correction import CORRECTION_PREFIX, correction_subject
from appio_core.content.lengths import ContentRules, length_codes, text_lengths
from appio_core.domain import POSITIVE_OUTCOMES, FlowState, Outcome
from appio_core.errors import Conflict, InvalidInput
from appio_core.flows.access import active_service, flow_for_send, flow_or_404
from appio_core.flows.editing import render_template, template_columns
from appio_core.flows.fields import NAME_LENGTH, check_name
from appio_core.italian import counted, thousands
from appio_core.storage.models import NOTIFICATIONS, Flow, Notification, utcnow

CORRECTABLE_STATES = frozenset({FlowState.SENT, FlowState.INCOMPLETE})
_CHUNK = 5_000  # rows per INSERT: memory stays bounded, the statement cached
_ROWS_NAMED = 5


@dataclass(frozen=True)
class FlowCorrection:
    """The correcting flow just created."""

    flow_id: int
    name: str
    corrects_flow_id: int
    recipients: int


def correction_name(original: str) -> str:
    """The correcting flow's name, within the column's length."""
    return (CORRECTION_PREFIX + original.strip())[:NAME_LENGTH]


def check_correctable(flow: Flow) -> None:
    """Only a flow that has sent can be corrected."""
    state = FlowState(flow.state)
    if state not in CORRECTABLE_STATES:
        raise Conflict(
            f"Il flusso è «{state.value}»: si può rettificare solo un flusso «Inviato» o"
            " «Invio incompleto», dopo l'invio."
        )


def file_columns(session: Session, actor: Actor, flow_id: int) -> tuple[str, ...]:
    """The original file's columns a correction's templates may use as placeholders."""
    flow = flow_or_404(session, flow_id)
    require_service_read(session, actor, flow.service_id)
    extra = session.scalar(
        select(Notification.extra)
        .where(Notification.flow_id == flow_id, Notification.outcome.in_(POSITIVE_OUTCOMES))
        .limit(1)
    )
    return tuple(json.loads(extra)) if extra else ()


def correct_flow(
    session: Session,
    actor: Actor,
    flow_id: int,
    *,
    text_template: str,
    subject_template: str | None = None,
    name: str | None = None,
) -> FlowCorrection:
    """A new «Inattivo» flow correcting `flow_id`, or a refusal in Italian (nothing made).

    `subject_template` None: each recipient's subject is his original one with
    «Rettifica: » in front (refused, with the rows, where that passes 120 characters)."""
    with recording(
        session, actor, AuditAction.FLOW_CORRECT, f"rettifica del flusso n. {flow_id}"
    ) as entry:
        original = flow_or_404(session, flow_id)
        entry.target = f"rettifica del flusso n. {original.id} «{original.name}»"
        original = flow_for_send(session, actor, flow_id)
        active_service(session, actor, original.service_id)
        check_correctable(original)
        if not text_template.strip():
            raise InvalidInput("Scrivi il testo della rettifica: che cosa è cambiato.")
        flow_name = check_name(name if name is not None else correction_name(original.name))
        rows = _accepted_rows(session, original.id)
        numbers = [row.row_number or 0 for row in rows]
        columns = template_columns([json.loads(row.extra) for row in rows])
        # A correction carries no buttons: the operator's whole text length is available.
        texts = render_template(text_template, False, columns, numbers, ContentRules())
        if subject_template is not None and subject_template.strip():
            subjects = render_template(subject_template, True, columns, numbers, ContentRules())
        else:
            subject_template = None
            subjects = _prefixed([row.subject for row in rows], numbers)
        flow = Flow(
            name=flow_name,
            description=f"Rettifica del flusso n. {original.id} «{original.name}».",
            natura=original.natura,
            service_id=original.service_id,
            created_by=actor.username,
            state=FlowState.INACTIVE,
            source_filename=original.source_filename,
            source_checksum=original.source_checksum,
            subject_template=subject_template.strip() if subject_template else None,
            text_template=text_template.strip(),
            check_profile=original.check_profile,
            feature_level=original.feature_level,
            status_check_hours=original.status_check_hours,
            recipients_total=len(rows),
            corrects_flow_id=original.id,
        )
        session.add(flow)
        session.flush()
        _insert_rows(session, flow, rows, subjects, texts)
        entry.target = f"flusso n. {flow.id} «{flow.name}»"
        entry.detail = (
            f"Rettifica del flusso n. {original.id} «{original.name}»:"
            f" {counted(len(rows), 'destinatario', 'destinatari')} (quelli accettati da IO)."
        )
        return FlowCorrection(flow.id, flow.name, original.id, len(rows))


def _accepted_rows(session: Session, flow_id: int) -> list[Any]:
    rows = session.execute(
        select(
            Notification.id,
            Notification.row_number,
            Notification.fiscal_code,
            Notification.subject,
            Notification.extra,
            Notification.purged_at,
        )
        .where(Notification.flow_id == flow_id, Notification.outcome.in_(POSITIVE_OUTCOMES))
        .order_by(Notification.row_number, Notification.id)
    ).all()
    if not rows:
        raise Conflict(
            "IO non ha accettato nessun messaggio di questo flusso: non c'è nessun cittadino"
            " a cui mandare una rettifica."
        )
    if any(row.purged_at is not None for row in rows):
        raise Conflict(
            "I dati personali di questo flusso sono stati rimossi dopo il periodo di"
            " conservazione: non si può più mandare una rettifica ai suoi destinatari."
        )
    return list(rows)


def _prefixed(originals: list[str], numbers: list[int]) -> list[str]:
    """Each original subject with «Rettifica: » in front, or InvalidInput naming the rows
    where it would pass the limit."""
    subjects = [correction_subject(s) for s in originals]
    rules = ContentRules()
    lengths = text_lengths(pa.array(subjects, type=pa.large_string()))
    codes = length_codes(np.asarray(lengths), *rules.bounds(subject=True), subject=True)
    wrong = [i for i, code in enumerate(codes) if code is not None]
    if wrong:
        shown = ", ".join(str(numbers[i]) for i in wrong[:_ROWS_NAMED])
        more = f" e altre {thousands(len(wrong) - _ROWS_NAMED)}" if len(wrong) > _ROWS_NAMED else ""
        who = counted(len(wrong), "destinatario", "destinatari")
        raise InvalidInput(
            f"Con «{CORRECTION_PREFIX.strip()}» davanti, l'oggetto originale supera i"
            f" {rules.subject_max} caratteri per {who}"
            f" (righe {shown}{more}; alla riga {numbers[wrong[0]]} sono"
            f" {thousands(int(lengths[wrong[0]]))}): scrivi un modello dell'oggetto più breve."
        )
    return subjects


def _insert_rows(
    session: Session, flow: Flow, rows: list[Any], subjects: list[str], texts: list[str]
) -> None:
    now = utcnow()
    shared = {
        "flow_id": flow.id,
        "service_id": flow.service_id,
        "created_by": flow.created_by,
        "created_at": now,
        "feature_level": flow.feature_level,
        "outcome": Outcome.PENDING,
        "attempts": 0,
        "retryable": False,
        "invalid_after_due_date": False,
    }
    for start in range(0, len(rows), _CHUNK):
        part = range(start, min(start + _CHUNK, len(rows)))
        session.execute(
            insert(NOTIFICATIONS),
            [
                {
                    **shared,
                    "row_number": rows[i].row_number,
                    "fiscal_code": rows[i].fiscal_code,
                    "subject": subjects[i],
                    "markdown": texts[i],
                    "extra": rows[i].extra,
                    "corrects_notification_id": rows[i].id,
                }
                for i in part
            ],
        )
