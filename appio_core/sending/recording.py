"""Recording outcomes: the rows' changes, and the flow paused when IO refused its keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from appio_core.notifications.change import NotificationChange
from appio_core.sending import store
from appio_core.sending.change_writes import Claim, write_changes
from appio_core.storage.db import Executor


def record_outcomes(
    db: Executor,
    flow_id: int,
    changes: Mapping[int, NotificationChange],
    now: datetime,
    claim: Claim,
) -> None:
    """Stores the rows' changes, each only while the row is still the worker's (`claim`);
    pauses the flow, with the reason, when one that was written asks for it."""
    dropped = write_changes(db, changes, now, claim)
    notes = {
        change.pause_flow
        for row_id, change in changes.items()
        if change.pause_flow and row_id not in dropped
    }
    if notes:
        store.pause_flow(db, flow_id, notes.pop())
