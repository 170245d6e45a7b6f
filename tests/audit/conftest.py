"""Audit fixtures: the notifications' (demo services on the in-process simulator, operators
by role) and a reader of the log as plain rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.audit.models import AUDIT_LOG

from ..notifications.conftest import (  # noqa: F401  (fixtures)
    fresh_simulator,
    message,
    operator,
    send,
    services,
    viewer,
)


@dataclass(frozen=True)
class Logged:
    at: datetime
    operator: str
    action: str
    target: str
    outcome: str
    detail: str
    origin: str
    fiscal_code: str | None = None  # the citizen the entry is about

    @property
    def text(self) -> str:
        """Every column in one string, to look for what must never be there."""
        return " | ".join(str(v) for v in vars(self).values())


Log = Callable[[], list[Logged]]


def read_log(sessions: sessionmaker[Session]) -> list[Logged]:
    with sessions() as session:
        rows = session.execute(select(AUDIT_LOG).order_by(AUDIT_LOG.c.id)).all()
    return [
        Logged(r.at, r.operator, r.action, r.target, r.outcome, r.detail, r.origin, r.fiscal_code)
        for r in rows
    ]


@pytest.fixture
def log(sessions: sessionmaker[Session]) -> Log:
    """log(): every entry, oldest first."""
    return lambda: read_log(sessions)


def only(entries: list[Logged], action: str) -> list[Logged]:
    return [e for e in entries if e.action == action]
