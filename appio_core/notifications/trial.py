"""«Invio di prova»: the first recipient's message sent to IO's test citizen before the real
send, through the same path as a single notification («Nuova notifica»), so that it is
checked, recorded in the audit log and listed in Notifiche like any other.

IO's test citizen (AAAAAA00A00A000A) is the one fiscal code every service may write to
while it is still in test; the operator sees in their own test app what citizens will see.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.content import cta
from appio_core.domain import FeatureLevel, FlowState
from appio_core.errors import Conflict, InvalidInput
from appio_core.flows.access import flow_for_send
from appio_core.flows.importing import Templates, preview_flow_row
from appio_core.italian import local_time
from appio_core.notifications.single import NewNotification, SingleResult, send_new
from appio_core.storage.db import session_scope
from appio_core.storage.models import Notification

TEST_CITIZEN = "AAAAAA00A00A000A"
# A flow can be tried while it is prepared, before «Invia».
TRIAL_STATES = frozenset({FlowState.INACTIVE, FlowState.ACTIVE})


def _amount_text(cents: int | None) -> str:
    if cents is None:
        return ""
    return f"{cents // 100},{cents % 100:02d}"


def _due_text(iso: str | None) -> str:
    if not iso:
        return ""
    return local_time(datetime.fromisoformat(iso.replace("Z", "+00:00")))


def trial_message(
    service_id: int,
    subject: str,
    markdown: str,
    *,
    amount: int | None = None,
    notice_number: str | None = None,
    due_date: str | None = None,
    feature_level: FeatureLevel = FeatureLevel.STANDARD,
    buttons: cta.Buttons = (),
    secure_channel: bool = False,
) -> NewNotification:
    """A row's message, addressed to IO's test citizen, in the form «Nuova notifica» takes."""
    return NewNotification(
        service_id=service_id,
        fiscal_code=TEST_CITIZEN,
        subject=subject,
        text=markdown,
        amount=_amount_text(amount),
        notice_number=notice_number or "",
        due_date=_due_text(due_date),
        feature_level=feature_level,
        check_profile=True,
        buttons=tuple((b.label, b.action, b.label_en) for b in buttons),
        secure_channel=secure_channel,
    )


def send_file_trial(
    sessions: sessionmaker[Session],
    actor: Actor,
    service_id: int,
    source: Path | bytes | BinaryIO,
    filename: str,
    templates: Templates,
    natura: str | None,
    box: KeyBox,
    base_url: str,
    feature_level: FeatureLevel = FeatureLevel.STANDARD,
    buttons: cta.Buttons = (),
    secure_channel: bool = False,
) -> SingleResult:
    """The first row of a file not yet imported (Nuovo flusso), sent to the test citizen."""
    with session_scope(sessions) as session:
        preview = preview_flow_row(
            session, actor, service_id, source, filename, templates, 0, natura
        )
    if preview.error:
        raise InvalidInput(f"Invio di prova non possibile: {preview.error}")
    data = trial_message(
        service_id,
        preview.subject,
        preview.markdown,
        amount=preview.amount,
        notice_number=preview.notice_number,
        due_date=preview.due_date,
        feature_level=feature_level,
        buttons=buttons,
        secure_channel=secure_channel,
    )
    return send_new(sessions, actor, data, box, base_url)


def send_flow_trial(
    sessions: sessionmaker[Session],
    actor: Actor,
    flow_id: int,
    box: KeyBox,
    base_url: str,
) -> SingleResult:
    """The first recipient's message of an «Inattivo» or «Attivo» flow, to the test citizen."""
    with session_scope(sessions) as session:
        flow = flow_for_send(session, actor, flow_id)
        state = FlowState(flow.state)
        if state not in TRIAL_STATES:
            raise Conflict(
                f"Il flusso è «{state.value}»: l'invio di prova si fa prima dell'invio, con il"
                " flusso «Inattivo» o «Attivo»."
            )
        first = session.scalar(
            select(Notification)
            .where(Notification.flow_id == flow.id)
            .order_by(Notification.row_number, Notification.id)
            .limit(1)
        )
        if first is None:
            raise Conflict("Il flusso non ha destinatari: carica un file prima della prova.")
        data = trial_message(
            flow.service_id,
            first.subject,
            first.markdown,
            amount=first.amount,
            notice_number=first.notice_number,
            due_date=first.due_date,
            feature_level=flow.feature_level,
            buttons=cta.from_json(flow.cta),
            secure_channel=flow.secure_channel,
        )
    return send_new(sessions, actor, data, box, base_url)
