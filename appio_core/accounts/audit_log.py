"""Reading the audit log: filters, a page with the total, every row for an export.

Administrators only, checked by permissions.require_admin like every administrator's
action, whatever the page shows. Here rather than in appio_core.audit: that package lies
below accounts (every layer records into it), so it cannot ask the operator's role.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, require_admin
from appio_core.audit.actions import FAMILY_LABELS, AuditAction, AuditOutcome, action_label
from appio_core.audit.models import AuditEntry
from appio_core.errors import InvalidInput, NotFound
from appio_core.italian import ROME
from appio_core.paging import Page, bounds


class AuditSortKey(StrEnum):
    AT = "at"
    OPERATOR = "operator"
    ACTION = "action"
    OUTCOME = "outcome"


@dataclass(frozen=True)
class AuditSort:
    key: AuditSortKey = AuditSortKey.AT
    descending: bool = True


NEWEST_FIRST = AuditSort()


def action_choices() -> dict[str, str]:
    """Code → label of what the action filter takes: a family (every action in it) or
    one action."""
    actions = {a.value: a.label for a in AuditAction}
    # A family of one action (login, logout) is offered once, as that action.
    families = {
        family: f"{label} (tutte)"
        for family, label in FAMILY_LABELS.items()
        if family not in actions
    }
    return {**families, **actions}


def check_action(code: str) -> str:
    """The action filter as given (case and spaces aside), or InvalidInput."""
    code = code.strip().lower()
    if code and code not in FAMILY_LABELS and code not in {a.value for a in AuditAction}:
        families = ", ".join(FAMILY_LABELS)
        raise InvalidInput(
            f"Azione «{code}» sconosciuta: indica un'azione (es. flow.send) o una famiglia"
            f" ({families})."
        )
    return code


@dataclass(frozen=True)
class AuditFilters:
    """What «Elenca» searches; empty fields do not filter. Days are Italian calendar days."""

    since: date | None = None
    until: date | None = None  # inclusive
    operator: str = ""
    action: str = ""  # a code (flow.send) or a family (flow)
    outcome: AuditOutcome | None = None
    target_contains: str = ""

    def describe(self) -> str:
        parts = []
        for label, value in (
            ("dal", self.since.strftime("%d/%m/%Y") if self.since else ""),
            ("al", self.until.strftime("%d/%m/%Y") if self.until else ""),
            ("operatore", self.operator.strip()),
            ("azione", action_choices().get(self.action, self.action) if self.action else ""),
            ("esito", self.outcome.value if self.outcome else ""),
            ("oggetto contiene", self.target_contains.strip()),
        ):
            if value:
                parts.append(f"{label}: {value}")
        return "; ".join(parts) or "nessun filtro"


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    operator: str
    action: str  # the code; `label` in Italian
    target: str
    outcome: str
    detail: str
    origin: str
    fiscal_code: str | None  # the citizen it is about: a code, or his pseudonym once purged

    @property
    def label(self) -> str:
        return action_label(self.action)


_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.operator,
    AuditEntry.action,
    AuditEntry.target,
    AuditEntry.outcome,
    AuditEntry.detail,
    AuditEntry.origin,
    AuditEntry.fiscal_code,
)
_SORT_COLUMNS: dict[AuditSortKey, Any] = {
    AuditSortKey.AT: AuditEntry.id,  # the order of writing: the time order, without ties
    AuditSortKey.OPERATOR: AuditEntry.operator,
    AuditSortKey.ACTION: AuditEntry.action,
    AuditSortKey.OUTCOME: AuditEntry.outcome,
}


def _require_reader(session: Session, actor: Actor) -> None:
    require_admin(session, actor, "consultare il registro attività")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ROME)


def _conditions(filters: AuditFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.since is not None:
        where.append(AuditEntry.at >= _day_start(filters.since))
    if filters.until is not None:
        where.append(AuditEntry.at < _day_start(filters.until + timedelta(days=1)))
    if filters.operator.strip():
        where.append(AuditEntry.operator == filters.operator.strip().lower())
    action = check_action(filters.action)
    if action in FAMILY_LABELS:
        where.append(
            (AuditEntry.action == action)
            | AuditEntry.action.startswith(f"{action}.", autoescape=True)
        )
    elif action:
        where.append(AuditEntry.action == action)
    if filters.outcome is not None:
        where.append(AuditEntry.outcome == filters.outcome.value)
    if filters.target_contains.strip():
        words = filters.target_contains.strip().lower()
        where.append(func.lower(AuditEntry.target).contains(words, autoescape=True))
    return where


def _ordered(stmt: Select, sort: AuditSort) -> Select:
    column = _SORT_COLUMNS[sort.key]
    order = column.desc() if sort.descending else column.asc()
    if sort.key == AuditSortKey.AT:
        return stmt.order_by(order)
    tie = AuditEntry.id.desc() if sort.descending else AuditEntry.id.asc()
    return stmt.order_by(order, tie)


def count(session: Session, actor: Actor, filters: AuditFilters) -> int:
    _require_reader(session, actor)
    stmt = select(func.count()).select_from(AuditEntry).where(*_conditions(filters))
    return session.scalar(stmt) or 0


def search(
    session: Session,
    actor: Actor,
    filters: AuditFilters,
    *,
    sort: AuditSort = NEWEST_FIRST,
    page: int = 1,
    page_size: int = 50,
) -> Page[AuditRow]:
    """One page of the log, with the total count of entries matching the filters."""
    total = count(session, actor, filters)
    number, size, offset = bounds(total, page, page_size)
    stmt = _ordered(select(*_COLUMNS).where(*_conditions(filters)), sort)
    rows = [AuditRow(**row._mapping) for row in session.execute(stmt.limit(size).offset(offset))]
    return Page(rows=rows, total=total, number=number, size=size)


def get_entry(session: Session, actor: Actor, entry_id: int) -> AuditRow:
    _require_reader(session, actor)
    row = session.execute(select(*_COLUMNS).where(AuditEntry.id == entry_id)).first()
    if row is None:
        raise NotFound(f"Voce {entry_id} del registro non trovata.")
    return AuditRow(**row._mapping)


def iter_rows(
    session: Session, actor: Actor, filters: AuditFilters, sort: AuditSort = NEWEST_FIRST
) -> Iterator[AuditRow]:
    """Every matching entry, streamed from the database."""
    _require_reader(session, actor)
    stmt = _ordered(select(*_COLUMNS).where(*_conditions(filters)), sort)
    for row in session.execute(stmt, execution_options={"yield_per": 2000}):
        yield AuditRow(**row._mapping)


def iter_columns(
    session: Session, actor: Actor, filters: AuditFilters, *, size: int = 5_000
) -> Iterator[dict[str, list[Any]]]:
    """Every matching entry, newest first, `size` at a time as columns (for the export)."""
    _require_reader(session, actor)
    stmt = _ordered(select(*_COLUMNS).where(*_conditions(filters)), NEWEST_FIRST)
    result = session.connection().execute(stmt.execution_options(yield_per=size))
    names = list(result.keys())
    for part in result.partitions(size):
        columns = zip(*part, strict=True)
        yield {name: list(values) for name, values in zip(names, columns, strict=True)}
