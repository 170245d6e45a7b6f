"""The «Cruscotto»'s figures, read from the summaries (never from the rows): a period's
counts per service, natura, flow or month, their trend month by month, and the share of
citizens reachable on IO. The page, `appio stats` and the Excel export call `report`.

Each operator sees the services enabled for him (administrators: all of them)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, enabled_service_ids, require_service_read
from appio_core.errors import InvalidInput
from appio_core.italian import parse_day
from appio_core.storage.models import Flow, Service

from .models import COUNTERS, NOTIFICATION_COUNTS, NOTIFICATION_REACH, NOTIFICATION_REACH_MONTHS

MONTH_NAMES = (
    "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
    "settembre", "ottobre", "novembre", "dicembre",
)  # fmt: skip
SINGLE_MESSAGES = "Messaggi singoli («Nuovo»)"
TREND_MONTHS = 12  # a period within one month shows the trend of the 12 months to it


class Grouping(StrEnum):
    """What the figures are grouped by: the values are `appio stats --by`'s words."""

    MONTH = "mese"
    SERVICE = "servizio"
    NATURA = "natura"
    FLOW = "flusso"


GROUPING_LABELS: dict[Grouping, str] = {
    Grouping.MONTH: "Mese",
    Grouping.SERVICE: "Servizio",
    Grouping.NATURA: "Natura",
    Grouping.FLOW: "Flusso",
}


def month_label(month: int) -> str:
    """202612 -> «dicembre 2026»."""
    return f"{MONTH_NAMES[month % 100 - 1]} {month // 100}"


def _day_key(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _month_key(day: date) -> int:
    return day.year * 100 + day.month


def _month_start(key: int) -> date:
    return date(key // 100, key % 100, 1)


def _months(first: int, last: int) -> list[int]:
    keys = []
    key = first
    while key <= last:
        keys.append(key)
        key = key + 1 if key % 100 < 12 else (key // 100 + 1) * 100 + 1
    return keys


@dataclass(frozen=True)
class Period:
    """Whole Italian days, both ends included."""

    start: date
    end: date

    @classmethod
    def month_of(cls, day: date) -> Period:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(first, following - timedelta(days=1))

    @classmethod
    def typed(cls, start: str, end: str, today: date) -> Period:
        """From the dates typed (gg/mm/aaaa, either may be empty): none, this month; only
        the first, up to today; only the last, from the first day of its month."""
        first = parse_day(start, "La data iniziale")
        last = parse_day(end, "La data finale")
        if first is None and last is None:
            return cls.month_of(today)
        if first is None:
            assert last is not None
            first = last.replace(day=1)
        if last is None:
            last = max(today, first)
        if first > last:
            raise InvalidInput(
                f"La data iniziale ({first:%d/%m/%Y}) è dopo la data finale ({last:%d/%m/%Y}):"
                " scegli un periodo che inizi prima di finire."
            )
        return cls(first, last)

    def describe(self) -> str:
        if self == Period.month_of(self.start):
            return month_label(_month_key(self.start))
        return f"dal {self.start:%d/%m/%Y} al {self.end:%d/%m/%Y}"

    def trend_months(self) -> list[int]:
        """The months of the trend: the period's, or the 12 to its month."""
        first, last = _month_key(self.start), _month_key(self.end)
        if first == last:
            index = (last // 100) * 12 + last % 100 - 1 - (TREND_MONTHS - 1)
            first = (index // 12) * 100 + index % 12 + 1
        return _months(first, last)


@dataclass(frozen=True)
class StatsFilters:
    period: Period
    service_id: int | None = None  # None: every service the operator sees
    by: Grouping = Grouping.SERVICE


@dataclass(frozen=True)
class Figures:
    """The counts of a group. `advanced_*`: ADVANCED messages IO has (read, paid, with a
    payment notice); see sql.py for what each counts."""

    sent: int = 0
    accepted: int = 0
    delivered: int = 0
    not_on_io: int = 0
    service_disabled: int = 0
    errors: int = 0
    uncertain: int = 0
    advanced: int = 0
    advanced_read: int = 0
    advanced_paid: int = 0
    advanced_payments: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(self.values(), other.values(), strict=True)))

    def values(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in COUNTERS)

    @classmethod
    def total(cls, many: list[Figures]) -> Figures:
        """The sum of many (one pass per counter: a flow grouping has 100,000 groups)."""
        if not many:
            return cls()
        return cls(*(sum(column) for column in zip(*(f.values() for f in many), strict=True)))

    def share(self, name: str) -> float | None:
        """The figure over its base (None when the base is 0)."""
        base = getattr(self, SHARE_BASE[name])
        return getattr(self, name) / base if base else None


assert tuple(f.name for f in fields(Figures)) == COUNTERS

# Each figure's share is of: the messages sent; read of the ADVANCED ones IO has, paid of
# those with a payment notice.
SHARE_BASE: dict[str, str] = {
    **{name: "sent" for name in COUNTERS[:7]},
    "advanced": "accepted",
    "advanced_read": "advanced",
    "advanced_paid": "advanced_payments",
    "advanced_payments": "advanced",
}

# The figures shown, in order, with their Italian names.
FIGURE_LABELS: dict[str, str] = {
    "sent": "Messaggi inviati",
    "accepted": "Accettati da IO",
    "delivered": "Consegnati nell'app",
    "not_on_io": "Cittadini non su IO",
    "service_disabled": "Servizio disattivato",
    "errors": "Errori",
    "uncertain": "Esiti incerti",
    "advanced_read": "Letti (messaggi avanzati)",
    "advanced_paid": "Pagati (avvisi avanzati)",
}


@dataclass(frozen=True)
class Group:
    label: str
    figures: Figures


@dataclass(frozen=True)
class ReachMonth:
    """A month's distinct citizens IO told us about, and those on IO with the service
    allowed (one citizen counts once, whatever his messages and services)."""

    month: date  # its first day
    citizens: int
    reachable: int

    @property
    def share(self) -> float | None:
        return self.reachable / self.citizens if self.citizens else None


@dataclass(frozen=True)
class MonthFigures:
    month: date  # its first day
    figures: Figures


@dataclass(frozen=True)
class StatsReport:
    filters: StatsFilters
    scope: str  # the services read, in words
    groups: list[Group]
    total: Figures
    trend: list[MonthFigures]


def _scope(
    session: Session, actor: Actor, filters: StatsFilters
) -> tuple[frozenset[int] | None, str]:
    """The services read (None: all of them), and their description."""
    allowed = enabled_service_ids(session, actor)
    if filters.service_id is not None:
        require_service_read(session, actor, filters.service_id)
        name = session.scalar(select(Service.name).where(Service.id == filters.service_id))
        if name is None:
            raise InvalidInput(f"Il servizio {filters.service_id} non esiste.")
        return frozenset({filters.service_id}), f"servizio «{name}»"
    if allowed is None:
        return None, "tutti i servizi"
    return allowed, "i servizi abilitati per te"


def _sums() -> list[Any]:
    # Cast: PostgreSQL's SUM of a bigint is a numeric, which the driver reads as a Decimal.
    return [
        cast(func.coalesce(func.sum(NOTIFICATION_COUNTS.c[name]), 0), BigInteger)
        for name in COUNTERS
    ]


def _figures(values: Any) -> Figures:
    return Figures(*values)


def _counts(services: frozenset[int] | None, first: int, last: int) -> list[ColumnElement[bool]]:
    table = NOTIFICATION_COUNTS
    where = [table.c.day >= first, table.c.day <= last]
    if services is not None:
        where.append(table.c.service_id.in_(sorted(services)) if services else literal(False))
    return where


def report(session: Session, actor: Actor, filters: StatsFilters) -> StatsReport:
    """The figures of the period, grouped, their total, and the trend month by month."""
    services, scope = _scope(session, actor, filters)
    table = NOTIFICATION_COUNTS
    period = filters.period
    where = _counts(services, _day_key(period.start), _day_key(period.end))
    stmt: Select[Any]
    if filters.by == Grouping.MONTH:
        key = (table.c.day // 100).label("key")
        stmt = select(key, *_sums()).where(*where).group_by(key).order_by(key)
        groups = [
            Group(month_label(int(row[0])), _figures(row[1:])) for row in session.execute(stmt)
        ]
    elif filters.by == Grouping.SERVICE:
        stmt = (
            select(Service.name, *_sums())
            .join(Service, Service.id == table.c.service_id)
            .where(*where)
            .group_by(Service.id, Service.name)
            .order_by(Service.name)
        )
        groups = [Group(row[0], _figures(row[1:])) for row in session.execute(stmt)]
    elif filters.by == Grouping.NATURA:
        natura = func.coalesce(Flow.natura, SINGLE_MESSAGES).label("natura")
        stmt = (
            select(natura, *_sums())
            .outerjoin(Flow, Flow.id == table.c.flow_id)
            .where(*where)
            .group_by(natura)
            .order_by(natura)
        )
        groups = [Group(row[0], _figures(row[1:])) for row in session.execute(stmt)]
    else:
        stmt = (
            select(table.c.flow_id, Flow.name, *_sums())
            .outerjoin(Flow, Flow.id == table.c.flow_id)
            .where(*where)
            .group_by(table.c.flow_id, Flow.name)
            .order_by(table.c.flow_id)
        )
        groups = [
            Group(f"{row[1]} (n. {row[0]})" if row[0] else SINGLE_MESSAGES, _figures(row[2:]))
            for row in session.execute(stmt)
        ]
    total = Figures.total([g.figures for g in groups])
    return StatsReport(filters, scope, groups, total, _trend(session, services, period))


def _trend(session: Session, services: frozenset[int] | None, period: Period) -> list[MonthFigures]:
    months = period.trend_months()
    table = NOTIFICATION_COUNTS
    key = (table.c.day // 100).label("key")
    where = _counts(services, months[0] * 100 + 1, months[-1] * 100 + 31)
    found = {
        int(row[0]): _figures(row[1:])
        for row in session.execute(select(key, *_sums()).where(*where).group_by(key))
    }
    return [MonthFigures(_month_start(m), found.get(m, Figures())) for m in months]


def reach(session: Session, actor: Actor, filters: StatsFilters) -> list[ReachMonth]:
    """«Cittadini raggiungibili», month by month over the trend's months. One service, or
    every one: a row a month of notification_reach_months. Some of them (an operator's):
    the distinct citizens of their entries."""
    services, _ = _scope(session, actor, filters)
    months = filters.period.trend_months()
    if services is not None and len(services) > 1 and services >= _all_services(session):
        services = None  # enabled on every service: their union is every service's
    stmt: Select[Any]
    if services is None or len(services) <= 1:
        table = NOTIFICATION_REACH_MONTHS
        service = 0 if services is None else next(iter(services), -1)
        stmt = select(table.c.month, table.c.citizens, table.c.reachable).where(
            table.c.service_id == service,
            table.c.month >= months[0],
            table.c.month <= months[-1],
        )
    else:
        entries = NOTIFICATION_REACH
        stmt = (
            select(
                entries.c.month,
                func.count(distinct(entries.c.citizen)),
                func.count(distinct(case((entries.c.reachable > 0, entries.c.citizen)))),
            )
            .where(
                entries.c.service_id.in_(sorted(services)),
                entries.c.month >= months[0],
                entries.c.month <= months[-1],
            )
            .group_by(entries.c.month)
        )
    found = {int(row[0]): (int(row[1]), int(row[2])) for row in session.execute(stmt)}
    return [ReachMonth(_month_start(m), *found.get(m, (0, 0))) for m in months]


def _all_services(session: Session) -> set[int]:
    return set(session.scalars(select(Service.id)))


def describe(filters: StatsFilters, scope: str) -> str:
    """The filters in words, for the export's sheet and the audit log."""
    return (
        f"Periodo {filters.period.describe()}; {scope}; per {GROUPING_LABELS[filters.by].lower()}"
    )
