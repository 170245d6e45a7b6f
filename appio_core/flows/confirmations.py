"""What an action on a flow asks the operator to confirm before it runs: the refusals that
a second try with `force` (the page's box, the CLI's --force, the API's ?force=true) gets
past, and the check of the same file sent today."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.errors import Conflict
from appio_core.italian import ROME
from appio_core.storage.models import Flow, utcnow


class ConfirmationNeeded(Conflict):
    """The action needs the operator's explicit confirmation: run it again with force."""

    code = "conferma_necessaria"


class SameFileSentToday(ConfirmationNeeded):
    code = "file_gia_inviato"


def same_file_sent_today(session: Session, flow: Flow, now: datetime | None = None) -> Flow | None:
    """Another flow of the service that started sending the same file (by checksum) today."""
    now = now or utcnow()
    midnight = now.astimezone(ROME).replace(hour=0, minute=0, second=0, microsecond=0)
    return session.scalar(
        select(Flow)
        .where(
            Flow.id != flow.id,
            Flow.service_id == flow.service_id,
            Flow.source_checksum == flow.source_checksum,
            Flow.started_at >= midnight,
            # A correction («Rettifica») keeps its original's file, but sends another text.
            *([] if flow.corrects_flow_id is None else [Flow.id != flow.corrects_flow_id]),
        )
        .order_by(Flow.started_at.desc())
        .limit(1)
    )
