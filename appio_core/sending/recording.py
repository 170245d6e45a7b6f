"""Recording outcomes: the rows' changes, and the flow paused when IO refused its keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from appio_core.notifications.change import NotificationChange
from appio_core.sending import store
from appio_core.sending.change_writes import write_changes
from appio_core.storage.db import Executor


def record_outcomes(
    db: Executor, flow_id: int, changes: Mapping[int, NotificationChange], now: datetime
) -> None:
    """Stores the rows' changes; pauses the flow, with the reason, when one asks for it."""
    write_changes(db, changes, now)
    notes = {change.pause_flow for change in changes.values() if change.pause_flow}
    if notes:
        store.pause_flow(db, flow_id, notes.pop())
