"""`appio audit list`: the audit log; `appio purge`: the purge of personal data now."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from appio_core.accounts.audit_log import (
    AuditFilters,
    AuditRow,
    action_choices,
    check_action,
    count,
    iter_rows,
)
from appio_core.audit import AuditOutcome
from appio_core.cli.common import Context, ItalianDate, atomic_output, pass_context
from appio_core.italian import ROME, counted, local_time, thousands

OUTCOMES = [o.value for o in AuditOutcome]


@click.group("audit")
def audit() -> None:
    """Registro attività: chi ha fatto cosa, su cosa, quando, da dove, con quale esito."""


def _json(row: AuditRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at.astimezone(ROME).isoformat(timespec="seconds"),
        "operator": row.operator,
        "action": row.action,
        "action_label": row.label,
        "target": row.target,
        "outcome": row.outcome,
        "detail": row.detail,
        "origin": row.origin,
        "fiscal_code": row.fiscal_code,
    }


def _action(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    from appio_core.errors import AppError

    try:
        return check_action(value or "")
    except AppError as exc:
        raise click.BadParameter(exc.message, ctx, param) from None


@audit.command("list")
@click.option("--since", type=ItalianDate(), help="Dal giorno gg/mm/aaaa.")
@click.option("--until", type=ItalianDate(), help="Fino al giorno gg/mm/aaaa (compreso).")
@click.option("--operator", default="", help="Nome utente (appio-cli: l'installazione).")
@click.option(
    "--action",
    callback=_action,
    help="Un'azione (es. flow.send) o una famiglia (es. flow). Vedi `appio audit actions`.",
)
@click.option("--outcome", type=click.Choice(OUTCOMES), help="Esito.")
@click.option("--target", default="", help="Parole contenute nell'oggetto dell'azione.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scrivi tutte le voci in questo file Excel (.xlsx) invece di elencarle.",
)
@pass_context
def list_(
    ctx: Context,
    since: date | None,
    until: date | None,
    operator: str,
    action: str,
    outcome: str | None,
    target: str,
    limit: int,
    fmt: str,
    output: Path | None,
) -> None:
    """Elenca le voci del registro attività, le più recenti per prime (amministratori)."""
    filters = AuditFilters(
        since=since,
        until=until,
        operator=operator,
        action=action,
        outcome=AuditOutcome(outcome) if outcome else None,
        target_contains=target,
    )
    with ctx.transaction() as session:
        if output is not None:
            from appio_core.exports.workbooks import write_audit

            with atomic_output(output) as file:
                written = write_audit(session, ctx.actor, filters, file)
            click.echo(f"{counted(written, 'voce esportata', 'voci esportate')} in {output}.")
            return
        total = count(session, ctx.actor, filters)
        rows = []
        for row in iter_rows(session, ctx.actor, filters):
            rows.append(row)
            if len(rows) >= limit:
                break
    if fmt == "json":
        click.echo(json.dumps([_json(r) for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Nessuna voce corrisponde ai filtri.")
        return
    for r in rows:
        detail = f"\t{r.detail}" if r.detail else ""
        # The citizen an entry is about, with what it is about.
        target = f"{r.target} – {r.fiscal_code}" if r.fiscal_code else r.target
        click.echo(
            f"{local_time(r.at)}\t{r.operator}\t{r.action}\t{target}\t{r.outcome}\t"
            f"{r.origin or '-'}{detail}"
        )
    if total > len(rows):
        click.echo(f"… {len(rows)} di {thousands(total)} voci: usa --limit, i filtri o --output.")


@audit.command("actions")
def actions() -> None:
    """Elenca le azioni registrate e le loro famiglie (per --action)."""
    for code, label in action_choices().items():
        click.echo(f"{code}\t{label}")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Conta soltanto: non rimuove nulla.")
@pass_context
def purge(ctx: Context, dry_run: bool) -> None:
    """Rimuove ora i dati personali scaduti (APPIO_RETENTION_DAYS), come fa il worker ogni
    giorno: testo, oggetto, colonne del file e numero avviso dei messaggi conclusi da più
    giorni di così; il codice fiscale diventa uno pseudonimo, anche nel registro attività.
    I flussi fermi (Inattivo, Attivo, Sospeso) da più giorni di così sono annullati.
    Esiti e conteggi restano. Solo per un amministratore, anche con --dry-run."""
    from appio_core.notifications.retention import Retention, purge_preview, run_purge
    from appio_core.storage.models import utcnow

    retention = Retention(ctx.settings.retention_days, ctx.settings.secret_key)
    if not retention.enabled:
        click.echo("Conservazione illimitata (APPIO_RETENTION_DAYS=0): nessun dato da rimuovere.")
        return
    actor = ctx.actor
    if dry_run:
        now = utcnow()
        with ctx.transaction() as session:
            due = purge_preview(session, actor, retention, now)
        click.echo(
            f"{counted(due.notifications, 'notifica', 'notifiche')} da ripulire: concluse senza"
            f" novità dal {local_time(retention.cutoff(now))} (conservazione"
            f" {retention.days} giorni). {_also(due.flows, due.entries, future=True)}"
            "Nulla è stato rimosso (--dry-run)."
        )
        return
    run = run_purge(ctx.sessions, actor, retention)
    click.echo(
        f"{counted(run.purged, 'notifica ripulita', 'notifiche ripulite')}:"
        " concluse senza novità dal"
        f" {local_time(run.cutoff)} (conservazione {retention.days} giorni)."
        f" {_also(run.flows, run.entries, future=False)}".rstrip()
    )


def _also(flows: int, entries: int, *, future: bool) -> str:
    """The purge's other two steps, when they have something to do."""
    parts = []
    if flows:
        verb = ("sarà annullato", "saranno annullati") if future else ("annullato", "annullati")
        parts.append(f"{counted(flows, 'flusso fermo', 'flussi fermi')} {verb[flows != 1]}")
    if entries:
        verb = ("avrà", "avranno") if future else ("ha ora", "hanno ora")
        parts.append(
            f"{counted(entries, 'voce', 'voci')} del registro attività {verb[entries != 1]}"
            " lo pseudonimo al posto del codice fiscale"
        )
    return "; ".join(parts) + ". " if parts else ""
