"""What a worker does now and then besides sending: single messages whose sending process
died are given an outcome an operator can act on (see notifications.single)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from appio_core.notifications.single import recover_interrupted
from appio_core.storage.db import session_scope

log = logging.getLogger(__name__)


class Housekeeping:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        every: timedelta = timedelta(minutes=1),
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._every = every
        self._next: datetime | None = None

    def run_if_due(self) -> None:
        now = self._clock()
        if self._next is not None and now < self._next:
            return
        self._next = now + self._every
        with session_scope(self._sessions) as session:
            recovered = recover_interrupted(session, now)
        if recovered:
            log.warning(
                "%s single messages interrupted by a crash were given an outcome", recovered
            )
