"""A flow's recipients a page at a time, for machines (GET /api/v1/flows/{id}/notifications):
keyset paging on (row of the file, id), so that a page follows the last one seen whatever
was inserted or changed meanwhile: no row is skipped or given twice, and page 1,000 costs
what page 1 does (an index seek on ix_notifications_flow_row, not an OFFSET).

The fields are the flow export's (appio_core.exports.workbooks.RECIPIENT_FIELDS), with the
machines' values: IO's codes, cents, ISO 8601."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, require_service_read
from appio_core.errors import InvalidInput
from appio_core.flows.access import flow_or_404
from appio_core.paging import MAX_PAGE_SIZE
from appio_core.storage.models import Notification

_BAD_CURSOR = "Il cursore non è valido: usa il valore «next_cursor» della pagina precedente."


@dataclass(frozen=True)
class RecipientItem:
    id: int
    row_number: int | None  # the row of the file
    fiscal_code: str  # a pseudonym (ps:…) once its personal data are purged
    subject: str
    outcome: str
    detail: str | None
    http_status: int | None
    io_message_id: str | None
    io_status: str | None  # IO's code (PROCESSED, REJECTED…), None until read
    email_status: str | None
    read_status: str | None  # ADVANCED messages only
    payment_status: str | None
    feature_level: str
    amount: int | None  # euro cents
    notice_number: str | None
    due_date: str | None  # ISO 8601 UTC, as sent to IO
    attempts: int
    sent_at: datetime | None
    purged_at: datetime | None
    fields: dict[str, Any]  # the file's own columns


@dataclass(frozen=True)
class RecipientPage:
    items: list[RecipientItem]
    next_cursor: str | None  # None: this was the last page


def encode_cursor(row_number: int, notification_id: int) -> str:
    raw = json.dumps([row_number, notification_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """(row, id) of the last item seen; InvalidInput for anything not made by encode_cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        row, notification_id = json.loads(raw)
    except (ValueError, binascii.Error, TypeError):
        raise InvalidInput(_BAD_CURSOR) from None
    if not all(_key(v) for v in (row, notification_id)):
        raise InvalidInput(_BAD_CURSOR)
    return row, notification_id


def _key(value: object) -> bool:
    """A row or an id the database can compare (a BIGINT)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _item(n: Notification) -> RecipientItem:
    return RecipientItem(
        id=n.id,
        row_number=n.row_number,
        fiscal_code=n.fiscal_code,
        subject=n.subject,
        outcome=n.outcome.value,
        detail=n.error_detail,
        http_status=n.http_status,
        io_message_id=n.io_message_id,
        io_status=n.io_status,
        email_status=n.email_status,
        read_status=n.read_status,
        payment_status=n.payment_status,
        feature_level=n.feature_level.value,
        amount=n.amount,
        notice_number=n.notice_number,
        due_date=n.due_date,
        attempts=n.attempts,
        sent_at=n.sent_at,
        purged_at=n.purged_at,
        fields=json.loads(n.extra or "{}"),
    )


def recipient_page(
    session: Session, actor: Actor, flow_id: int, cursor: str | None, limit: int
) -> RecipientPage:
    """The flow's recipients after `cursor` (from the first without), at most `limit`."""
    flow = flow_or_404(session, flow_id)
    require_service_read(session, actor, flow.service_id)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    # A flow's rows all have their row of the file: the order is the file's.
    stmt = select(Notification).where(Notification.flow_id == flow.id)
    if cursor:
        row, last_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                Notification.row_number > row,
                and_(Notification.row_number == row, Notification.id > last_id),
            )
        )
    stmt = stmt.order_by(Notification.row_number, Notification.id).limit(limit + 1)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    items = [_item(n) for n in rows[:limit]]
    last = items[-1] if more and items else None
    return RecipientPage(items, encode_cursor(last.row_number or 0, last.id) if last else None)
