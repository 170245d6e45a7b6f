"""Recording outcomes: the rows' changes, and the flow paused when IO refused its keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from appio_core.notifications.change import NotificationChange
from appio_core.sending import store
from appio_core.sending.change_writes import write_changes


def record_outcomes(
    session: Session, flow_id: int, changes: Mapping[int, NotificationChange], now: datetime
) -> None:
    """Stores the rows' changes; pauses the flow, with the reason, when one asks for it."""
    write_changes(session, changes, now)
    notes = {change.pause_flow for change in changes.values() if change.pause_flow}
    if notes:
        store.pause_flow(session, flow_id, notes.pop())
