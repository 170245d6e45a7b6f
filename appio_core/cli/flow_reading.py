"""`appio flow status|list|export`: reading the flows.

Scripts call `appio flow status` in a loop: what only some commands need (the exporter with
openpyxl) is imported inside them, so that reading a flow loads little more than its query.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appio_core.cli.common import (
    Context,
    atomic_output,
    pass_context,
)
from appio_core.cli.flow_approval import approval_lines
from appio_core.content.cta import describe
from appio_core.domain import FINISHED_STATES, FlowState
from appio_core.flows import queries
from appio_core.flows.status_data import flow_status_data
from appio_core.italian import counted

if TYPE_CHECKING:
    pass

STATES = [s.value for s in FlowState]


@click.command("status")
@click.argument("flow_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def status(ctx: Context, flow_id: int, fmt: str) -> None:
    """Stato di un flusso ed esiti dei destinatari."""
    print_status(ctx, flow_id, fmt)


def print_status(ctx: Context, flow_id: int, fmt: str) -> queries.FlowView:
    with ctx.transaction() as session:
        view = queries.get_flow(session, ctx.actor, flow_id)
        scheduled = queries.scheduled_rows(session, flow_id)
    counts = {outcome.value: n for outcome, n in sorted(view.counts.items())}
    if fmt == "json":
        data = flow_status_data(view)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return view
    click.echo(f"Flusso {view.id} «{view.name}» ({view.service_name}): {view.state.value}")
    if view.dispatcher_note and view.state == FlowState.PAUSED:
        # Why the sending paused it: refused keys, a permission PagoPA has not granted.
        click.echo(f"  {view.dispatcher_note}")
    for line in approval_lines(view):
        click.echo(line)
    if view.template:
        click.echo(f"Dal {view.template.describe()}")
    if view.corrects_flow_id:
        click.echo(f"Rettifica del flusso n. {view.corrects_flow_id}")
    if view.corrected_by:
        click.echo("Rettificato da " + ", ".join(f"n. {i}" for i in view.corrected_by))
    for outcome, n in counts.items():
        click.echo(f"  {outcome}: {n}")
    if view.buttons:
        click.echo(f"Pulsanti: {describe(view.buttons)}")
    if view.secure_channel:
        click.echo("Canale sicuro: sì (niente e-mail, notifica push senza contenuto)")
    if scheduled.count and view.state not in FINISHED_STATES:
        click.echo(scheduled.describe())
    return view


@click.command("list")
@click.option("--state", type=click.Choice(STATES))
@click.option("--service", "service_name")
@click.option("--corrections", is_flag=True, help="Solo le rettifiche di altri flussi.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the list to this Excel file (.xlsx) instead.",
)
@pass_context
def list_(
    ctx: Context,
    state: str | None,
    service_name: str | None,
    corrections: bool,
    fmt: str,
    output: Path | None,
) -> None:
    """Elenca i flussi, i più recenti per primi (tutti: nessun limite)."""
    from appio_core.accounts.services import find_service
    from appio_core.exports.workbooks import write_flows

    with ctx.transaction() as session:
        service_id = find_service(session, ctx.actor, service_name).id if service_name else None
        filters = queries.FlowFilters(
            state=FlowState(state) if state else None,
            service_id=service_id,
            only_corrections=corrections,
        )
        if output is not None:
            with atomic_output(output) as target:
                count = write_flows(session, ctx.actor, filters, target)
            click.echo(f"{counted(count, 'flusso esportato', 'flussi esportati')} in {output}.")
            return
        views = list(queries.iter_flows(session, ctx.actor, filters))
    if fmt == "json":
        rows = [{**dataclasses.asdict(v), "state": v.state.value, "counts": None} for v in views]
        for row in rows:
            del row["counts"]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    for v in views:
        click.echo(
            f"{v.id}\t{v.state.value}\t{v.service_name}\t{v.natura}\t{v.recipients_total}\t{v.name}"
        )


@click.command("export")
@click.argument("flow_id", type=int)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Default: flusso-ID.xlsx in the current directory.",
)
@pass_context
def export(ctx: Context, flow_id: int, output: Path | None) -> None:
    """Esporta in Excel i destinatari di un flusso con i loro esiti."""
    from appio_core.exports.workbooks import write_flow_recipients

    output = output or Path(f"flusso-{flow_id}.xlsx")
    with ctx.transaction() as session, atomic_output(output) as target:
        count = write_flow_recipients(session, ctx.actor, flow_id, target)
    click.echo(f"{counted(count, 'destinatario esportato', 'destinatari esportati')} in {output}.")
