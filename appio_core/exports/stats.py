"""«Esporta Excel» of the «Cruscotto»: its figures per group with their shares, the total,
and on a second sheet the filters and the citizens reachable month by month. The same
writer as the archives; in the audit log like every export."""

from __future__ import annotations

from typing import IO, Any

from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.audit import AuditAction, recording
from appio_core.exports.xlsx import Column, Kind, XlsxWriter
from appio_core.italian import counted, percent, thousands
from appio_core.notifications.stats.figures import (
    FIGURE_LABELS,
    GROUPING_LABELS,
    Figures,
    StatsFilters,
    describe,
    month_label,
    reach,
    report,
)

TOTAL = "Totale"


def _columns(filters: StatsFilters) -> list[tuple[Column, str, bool]]:
    """(column, figure, is it the share) for every figure shown."""
    columns = [(Column(GROUPING_LABELS[filters.by], width=40), "", False)]
    for name, label in FIGURE_LABELS.items():
        columns.append((Column(label, Kind.INTEGER, width=16), name, False))
        if name != "sent":
            columns.append((Column(f"{label} %", Kind.PERCENT, width=12), name, True))
    return columns


def _values(label: str, figures: Figures, columns: list[tuple[Column, str, bool]]) -> list[Any]:
    values: list[Any] = [label]
    for _, name, share in columns[1:]:
        values.append(figures.share(name) if share else getattr(figures, name))
    return values


def write_stats(session: Session, actor: Actor, filters: StatsFilters, target: IO[bytes]) -> int:
    """The figures of the «Cruscotto» for `filters`; returns the groups written."""
    with recording(session, actor, AuditAction.EXPORT_STATS, "cruscotto") as entry:
        found = report(session, actor, filters)
        entry.detail = f"{describe(filters, found.scope)}."
        columns = _columns(filters)
        rows = [_values(g.label, g.figures, columns) for g in found.groups]
        rows.append(_values(TOTAL, found.total, columns))
        with XlsxWriter(target, "Cruscotto", [c for c, _, _ in columns]) as writer:
            writer.add_rows([list(column) for column in zip(*rows, strict=True)])
            pairs: list[tuple[str, Any]] = [
                ("Filtri", describe(filters, found.scope)),
                ("Gruppi", thousands(len(found.groups))),
            ]
            for month in reach(session, actor, filters):
                key = month.month.year * 100 + month.month.month
                share = "" if month.share is None else f" ({percent(month.share, 1)})"
                pairs.append(
                    (
                        f"Cittadini raggiungibili, {month_label(key)}",
                        f"{thousands(month.reachable)} su {thousands(month.citizens)}{share}",
                    )
                )
            writer.add_info_sheet("Filtri", pairs)
        entry.detail += f" {counted(len(found.groups), 'gruppo', 'gruppi')}."
        return len(found.groups)
