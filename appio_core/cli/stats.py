"""`appio stats`: the «Cruscotto»'s figures, as text, JSON or an Excel file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from appio_core.cli.common import Context, atomic_output, pass_context

BY = ["mese", "servizio", "natura", "flusso"]
# --format json: one object per group, these keys (counts), in this order.
JSON_KEYS = {
    "sent": "sent",
    "accepted": "accepted",
    "delivered": "delivered",
    "not_on_io": "not_on_io",
    "service_disabled": "service_disabled",
    "errors": "errors",
    "uncertain": "uncertain",
    "read": "advanced_read",
    "paid": "advanced_paid",
}


@click.command("stats")
@click.option("--from", "start", default="", metavar="gg/mm/aaaa", help="Dal giorno (compreso).")
@click.option("--to", "end", default="", metavar="gg/mm/aaaa", help="Fino al giorno (compreso).")
@click.option("--service", type=int, metavar="N", help="Solo questo servizio (il suo numero).")
@click.option("--by", type=click.Choice(BY), default="servizio", show_default=True,
              help="Raggruppa per mese, servizio, natura o flusso.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scrivi i dati in questo file Excel (.xlsx), come «Esporta Excel» del cruscotto.",
)
@pass_context
def stats(
    ctx: Context,
    start: str,
    end: str,
    service: int | None,
    by: str,
    fmt: str,
    output: Path | None,
) -> None:
    """I numeri del cruscotto: messaggi inviati, accettati, consegnati, cittadini non su IO,
    servizio disattivato, errori, esiti incerti, letti e pagati (messaggi avanzati).
    Senza date: il mese in corso; con --from soltanto: fino a oggi; con --to soltanto: dal
    primo giorno del suo mese. Ognuno vede i servizi abilitati per lui."""
    from appio_core.italian import local_today
    from appio_core.notifications.stats.figures import Grouping, Period, StatsFilters, report

    period = Period.typed(start, end, local_today())
    filters = StatsFilters(period, service, Grouping(by))
    with ctx.transaction() as session:
        if output is not None:
            from appio_core.exports.stats import write_stats
            from appio_core.italian import counted

            with atomic_output(output) as file:
                written = write_stats(session, ctx.actor, filters, file)
            click.echo(f"{counted(written, 'gruppo esportato', 'gruppi esportati')} in {output}.")
            return
        found = report(session, ctx.actor, filters)
    if fmt == "json":
        objects: list[dict[str, Any]] = [
            {"group": g.label, **{k: getattr(g.figures, v) for k, v in JSON_KEYS.items()}}
            for g in found.groups
        ]
        click.echo(json.dumps(objects, ensure_ascii=False, indent=2))
        return
    _text(found)


def _text(found: Any) -> None:
    from appio_core.italian import percent, thousands
    from appio_core.notifications.stats.figures import FIGURE_LABELS, describe

    click.echo(f"{describe(found.filters, found.scope)}.")
    if not found.groups:
        click.echo("Nessun messaggio concluso nel periodo.")
        return
    for group in [*found.groups, None]:
        label, figures = ("Totale", found.total) if group is None else (group.label, group.figures)
        click.echo("")
        click.echo(label)
        for name, title in FIGURE_LABELS.items():
            share = figures.share(name)
            shown = "" if name == "sent" or share is None else f" ({percent(share, 1)})"
            click.echo(f"  {title}: {thousands(getattr(figures, name))}{shown}")
