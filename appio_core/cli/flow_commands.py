"""`appio flow import|edit|replace-file` and the commands of the flows' actions (send with
--wait works as a dispatcher until the flow ends). Reading the flows is in flow_reading.py.

The modules only some commands need (the file reader with pandas, the dispatcher with
aiohttp) are imported inside them: `appio flow status --help` and the action commands'
listing must not load them.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appio_core import italian
from appio_core.cli.column_option import COLUMN_HELP, column_choices
from appio_core.cli.common import (
    EXIT_BAD_INPUT,
    CliError,
    Context,
    pass_context,
)
from appio_core.cli.cta_options import checked_buttons, cta_option, edit_options, secure_option
from appio_core.cli.exits import FLOW_EXIT_HELP, SendExit, flow_exit
from appio_core.cli.flow_approval import say_withdrawn
from appio_core.cli.flow_reading import print_status
from appio_core.domain import FINISHED_STATES, FeatureLevel, FlowState, Natura, Outcome
from appio_core.errors import InvalidInput
from appio_core.flows import queries

if TYPE_CHECKING:
    from appio_core.flows.registry import FlowAction

NATURE = [n.value for n in Natura]


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--service", "service_name", required=True)
@click.option("--name", required=True)
@click.option(
    "--natura",
    type=click.Choice(NATURE),
    help="Natura del flusso (di norma quella del modello, altrimenti Comunicazione).",
)
@click.option("--description", default="")
@click.option(
    "--template",
    "template_reference",
    metavar="NOME[@VERSIONE]",
    help="Un modello salvato (appio template list): oggetto, testo, natura, colonne e livello"
    " del messaggio; le altre opzioni li cambiano per questo flusso soltanto.",
)
@click.option("--subject-template")
@click.option("--text-template")
@click.option("--text-template-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet")
@click.option("--column", "columns", multiple=True, callback=column_choices, help=COLUMN_HELP)
@click.option("--no-profile-check", is_flag=True, help="Do not check the profile first.")
@click.option("--advanced", is_flag=True, help="ADVANCED messages (read/payment status).")
@click.option(
    "--status-check-hours",
    type=int,
    default=48,
    show_default=True,
    help="Read each message's status for this long after sending (0: never).",
)
@click.option(
    "--scheduled-at",
    callback=lambda _ctx, _param, value: _moment(value),
    help="Start no earlier than this time, gg/mm/aaaa hh:mm (Italian time).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Conferma quando richiesto: un flusso di pagamento il cui file non ha le colonne"
    " del pagamento (importo, numero avviso).",
)
@cta_option
@secure_option
@pass_context
def import_(
    ctx: Context,
    file: Path,
    service_name: str,
    name: str,
    natura: str | None,
    description: str,
    template_reference: str | None,
    subject_template: str | None,
    text_template: str | None,
    text_template_file: Path | None,
    sheet: str | None,
    columns: tuple[tuple[str, str], ...],
    no_profile_check: bool,
    advanced: bool,
    status_check_hours: int,
    scheduled_at: datetime | None,
    force: bool,
    cta: tuple[str, ...],
    secure_channel: bool,
) -> None:
    """Crea un flusso (Inattivo) da un file di destinatari; stampa il suo numero."""
    from appio_core.accounts.services import find_service
    from appio_core.flows import importing
    from appio_core.flows.confirmations import ConfirmationNeeded
    from appio_core.templates.apply import with_template
    from appio_core.templates.queries import get_template

    if text_template_file is not None:
        text_template = text_template_file.read_text(encoding="utf-8-sig")
    templates = importing.Templates(subject_template, text_template, sheet, columns)
    options = importing.FlowOptions(
        description=description,
        check_profile=not no_profile_check,
        feature_level=FeatureLevel.chosen(advanced),
        scheduled_at=scheduled_at,
        status_check_hours=status_check_hours,
        buttons=checked_buttons(cta),
        secure_channel=secure_channel,
    )
    try:
        with ctx.transaction() as session:
            service = find_service(session, ctx.actor, service_name)
            if template_reference is not None:
                used = get_template(session, ctx.actor, template_reference)
                natura, templates, options = with_template(used, natura, templates, options)
            flow = importing.import_flow(
                session,
                ctx.actor,
                service_id=service.id,
                name=name,
                natura=natura or Natura.COMMUNICATION.value,
                source=file,
                filename=file.name,
                templates=templates,
                options=options,
                force=force,
            )
    except ConfirmationNeeded as exc:
        raise CliError(f"{exc.message} Usa --force per confermare.") from exc
    except importing.FlowFileRefused as refused:
        click.echo(json.dumps(refused.report.to_dict(), ensure_ascii=False, indent=2))
        click.echo(f"Errore: {refused.message}", err=True)
        raise SystemExit(1) from None
    click.echo(flow.id)


@click.command("edit")
@click.argument("flow_id", type=int)
@click.option("--name", help="Nuovo nome del flusso.")
@click.option("--description", help="Nuova descrizione.")
@click.option("--natura", type=click.Choice(NATURE))
@click.option("--subject-template", help="Nuovo modello dell'oggetto.")
@click.option("--text-template", help="Nuovo modello del testo.")
@click.option("--text-template-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@edit_options("del flusso")
@pass_context
def edit(
    ctx: Context,
    flow_id: int,
    name: str | None,
    description: str | None,
    natura: str | None,
    subject_template: str | None,
    text_template: str | None,
    text_template_file: Path | None,
    cta: tuple[str, ...],
    no_cta: bool,
    secure_channel: bool | None,
) -> None:
    """Modifica un flusso Inattivo: nome, descrizione, natura, modelli (ricontrollati),
    pulsanti e canale sicuro."""
    from appio_core.flows import editing

    if text_template_file is not None:
        text_template = text_template_file.read_text(encoding="utf-8-sig")
    if cta and no_cta:
        raise click.UsageError("Usa --cta oppure --no-cta, non entrambi.")
    buttons = () if no_cta else (checked_buttons(cta) if cta else None)
    changes = editing.FlowChanges(
        name, description, natura, subject_template, text_template, buttons, secure_channel
    )
    with ctx.transaction() as session:
        before = queries.get_flow(session, ctx.actor, flow_id).state
        flow = editing.edit_flow(session, ctx.actor, flow_id, changes)
        click.echo(f"Flusso {flow.id} «{flow.name}» modificato.")
        say_withdrawn(before, flow.state)


@click.command("replace-file")
@click.argument("flow_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", help="Foglio da leggere nei file .xlsx (di norma il primo).")
@click.option("--column", "columns", multiple=True, callback=column_choices, help=COLUMN_HELP)
@pass_context
def replace_file(
    ctx: Context, flow_id: int, file: Path, sheet: str | None, columns: tuple[tuple[str, str], ...]
) -> None:
    """Sostituisce il file dei destinatari di un flusso Inattivo (con gli stessi controlli)."""
    from appio_core.flows import importing

    try:
        with ctx.transaction() as session:
            before = queries.get_flow(session, ctx.actor, flow_id).state
            flow = importing.replace_recipients(
                session, ctx.actor, flow_id, file, file.name, sheet=sheet, columns=columns
            )
            total, after = flow.recipients_total, flow.state
    except importing.FlowFileRefused as refused:
        click.echo(json.dumps(refused.report.to_dict(), ensure_ascii=False, indent=2))
        click.echo(f"Errore: {refused.message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Flusso {flow_id}: file sostituito, {total} destinatari.")
    say_withdrawn(before, after)


def action_command(action: FlowAction) -> click.Command:
    """The `appio flow` command of a registered action."""
    params: list[click.Parameter] = [click.Argument(["flow_id"], type=int)]
    if action.on_recipients:
        params.append(
            click.Option(
                ["--recipient", "recipient_ids"],
                type=int,
                multiple=True,
                help="Notification ids (default: every uncertain one).",
            )
        )
    if action.confirmable:
        params.append(
            click.Option(["--force"], is_flag=True, help="Confirm when asked to (same file).")
        )
    if action.takes_note:
        params.append(
            click.Option(
                ["--note"],
                default="",
                help="Nota per l'autore del flusso"
                + (" (obbligatoria)." if action.name == "reject" else "."),
            )
        )
    if action.name == "send":
        params.append(
            click.Option(
                ["--wait"], is_flag=True, help="Send from this process and return when finished."
            )
        )

    @pass_context
    def run(
        ctx: Context,
        flow_id: int,
        recipient_ids: tuple[int, ...] = (),
        force: bool = False,
        wait: bool = False,
        note: str = "",
    ) -> None:
        from appio_core.flows import actions
        from appio_core.flows.confirmations import ConfirmationNeeded

        try:
            with ctx.transaction() as session:
                ids = list(recipient_ids)
                if action.on_recipients and not ids:
                    uncertain = queries.list_recipients(
                        session, ctx.actor, flow_id, outcome=Outcome.UNCERTAIN, limit=10**9
                    )
                    ids = [r.id for r in uncertain]
                done = actions.perform(
                    session, ctx.actor, action, flow_id, recipient_ids=ids, force=force, note=note
                )
        except ConfirmationNeeded as exc:
            raise CliError(f"{exc.message} Usa --force per confermare.") from exc
        except InvalidInput as exc:  # a missing or too long note: nothing was done
            click.echo(f"Errore: {exc.message}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        what = action.done_text(done.count or 0, done.state)
        click.echo(f"Flusso {flow_id}: {what} (stato «{done.state.value}»).")
        if wait and done.state == FlowState.AWAITING_APPROVAL:
            # Nothing to wait for here: the send starts when someone else approves it.
            sys.exit(SendExit.NOT_SENT)
        if wait:
            state = _wait(ctx, flow_id)
            click.echo(f"Flusso {flow_id}: {state}.")
            view = print_status(ctx, flow_id, "text")
            status = flow_exit(view.state, view.counts)
            if status != SendExit.ACCEPTED:
                sys.exit(status)

    epilog = FLOW_EXIT_HELP if action.name == "send" else None
    return click.Command(
        action.command, params=params, callback=run, help=action.help, epilog=epilog
    )


def _wait(ctx: Context, flow_id: int) -> FlowState:
    """Works as a dispatcher until the flow is finished (or paused by someone)."""
    import asyncio

    from appio_core.sending.worker import make_dispatcher

    dispatcher = make_dispatcher(ctx.settings, ctx.sessions)
    state = FlowState.SENDING

    def finished() -> bool:
        nonlocal state
        with ctx.transaction() as session:
            state = queries.get_flow(session, ctx.actor, flow_id).state
        return state in FINISHED_STATES or state == FlowState.PAUSED

    asyncio.run(dispatcher.run(finished))
    return state


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return italian.parse_moment(value, "L'ora di inizio")
    except InvalidInput as error:
        raise click.BadParameter(error.message, param_hint="--scheduled-at") from None
