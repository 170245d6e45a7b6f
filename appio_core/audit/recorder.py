"""Writing the audit log: `record` in the caller's transaction, `record_refusal` so that it
survives the caller's rollback, `recording` around a core action for both.

A refused action is recorded although its transaction rolls back: the entry waits in the
session until the caller's transaction ends (commit, rollback or close), then is written
in a short transaction of its own. Not at once: on SQLite the caller may be holding the
database's write lock (an UPDATE that found nothing to change already takes it), and a
second connection writing then would wait for it until the busy timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, event, insert
from sqlalchemy.orm import Session, SessionTransaction

from appio_core.audit.actions import AuditAction, AuditOutcome
from appio_core.audit.models import (
    AUDIT_LOG,
    FISCAL_CODE_LENGTH,
    ORIGIN_LENGTH,
    TARGET_LENGTH,
    AuditEntry,
)
from appio_core.errors import AppError
from appio_core.storage.models import utcnow

log = logging.getLogger(__name__)

_PENDING = "audit_pending_refusals"


class Who(Protocol):
    """Whoever acts: an operator (appio_core.accounts.permissions.Actor) or the installation."""

    @property
    def username(self) -> str: ...

    @property
    def origin(self) -> str | None: ...


@dataclass(frozen=True)
class Named:
    """Someone named who is not a signed-in operator: the name typed at a failed login, or
    the installation acting by itself (the worker's purge, «appio-worker»)."""

    username: str
    origin: str | None = None


@dataclass
class Entry:
    """What `recording` will write; the action's body fills in what it learns."""

    target: str
    detail: str = ""
    outcome: AuditOutcome = AuditOutcome.OK
    skip: bool = False  # nothing happened worth an entry (a save that changed nothing)
    fiscal_code: str | None = None  # the citizen it is about (never in the detail)


def _values(
    who: Who,
    action: AuditAction,
    target: str,
    outcome: AuditOutcome,
    detail: str,
    at: datetime | None,
    fiscal_code: str | None = None,
) -> dict[str, Any]:
    return {
        "at": at or utcnow(),
        "operator": who.username[:64],
        "action": action.value,
        "target": _clip(target, TARGET_LENGTH),
        "outcome": outcome.value,
        "detail": detail,
        "origin": _clip(who.origin or "", ORIGIN_LENGTH),
        # Cut, not clipped with «…»: a code typed too long is still that text.
        "fiscal_code": fiscal_code[:FISCAL_CODE_LENGTH] if fiscal_code else None,
    }


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def record(
    session: Session,
    who: Who,
    action: AuditAction,
    target: str,
    *,
    outcome: AuditOutcome = AuditOutcome.OK,
    detail: str = "",
    at: datetime | None = None,
    fiscal_code: str | None = None,
) -> None:
    """An entry in the caller's transaction: it is kept only if the action is."""
    session.add(AuditEntry(**_values(who, action, target, outcome, detail, at, fiscal_code)))


def record_refusal(
    session: Session,
    who: Who,
    action: AuditAction,
    target: str,
    *,
    detail: str = "",
    outcome: AuditOutcome = AuditOutcome.REFUSED,
    at: datetime | None = None,
    fiscal_code: str | None = None,
) -> None:
    """An entry that outlives the caller's transaction, whatever its end: written once it
    is over (at once when the session has none under way)."""
    values = _values(who, action, target, outcome, detail, at, fiscal_code)
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    if not session.in_transaction():
        _write(engine, [values])
        return
    session.info.setdefault(_PENDING, []).append((engine, values))


@event.listens_for(Session, "after_transaction_end")
def _write_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    pending: list[tuple[Engine, dict[str, Any]]] = session.info.pop(_PENDING, [])
    for engine in {id(e): e for e, _ in pending}.values():
        _write(engine, [values for e, values in pending if e is engine])


def _write(engine: Engine, rows: list[dict[str, Any]]) -> None:
    try:
        with engine.begin() as connection:
            connection.execute(insert(AUDIT_LOG), rows)
    except Exception:
        # Never in place of the caller's own error: that one is what the operator must see.
        log.exception(
            "audit entries not written: %s", ", ".join(f"{r['action']} {r['target']}" for r in rows)
        )


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


@contextmanager
def recording(
    session: Session,
    who: Who,
    action: AuditAction,
    target: str,
    detail: str = "",
    *,
    fiscal_code: str | None = None,
) -> Iterator[Entry]:
    """Records the action run in the block: as done when the block ends normally (in the
    caller's transaction), as refused when it raises an AppError (the refusal's message in
    the detail), as failed on any other error (only the error's kind: its text may quote
    data). The block may refine the entry's target, detail and outcome as it goes."""
    entry = Entry(target, detail, fiscal_code=fiscal_code)
    try:
        yield entry
    except AppError as error:
        record_refusal(
            session,
            who,
            action,
            entry.target,
            detail=_joined(entry.detail, error.message),
            fiscal_code=entry.fiscal_code,
        )
        raise
    except Exception as error:
        record_refusal(
            session,
            who,
            action,
            entry.target,
            detail=_joined(entry.detail, f"Errore interno ({type(error).__name__})."),
            outcome=AuditOutcome.FAILED,
            fiscal_code=entry.fiscal_code,
        )
        raise
    if not entry.skip:
        record(
            session,
            who,
            action,
            entry.target,
            outcome=entry.outcome,
            detail=entry.detail,
            fiscal_code=entry.fiscal_code,
        )
