"""`appio flow ...`: bulk-sending flows. `validate` checks a recipient file without a database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appio_core.cli.column_option import COLUMN_HELP, column_choices
from appio_core.cli.lazy import Lazy, LazyGroup
from appio_core.domain import Natura

if TYPE_CHECKING:
    from appio_core.recipient_file.report import RowIssue, ValidationReport

EXIT_ROW_ERRORS = 1
EXIT_UNUSABLE_FILE = 2


_FLOW_COMMANDS = "appio_core.cli.flow_commands"


class FlowGroup(LazyGroup):
    """`appio flow`: a command for each action of the flows' registry, and the others."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from appio_core.flows.registry import BY_COMMAND

        return sorted([*super().list_commands(ctx), *BY_COMMAND])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from appio_core.flows.registry import BY_COMMAND

        action = BY_COMMAND.get(cmd_name)
        if action is None:
            return super().get_command(ctx, cmd_name)
        from appio_core.cli.flow_commands import action_command

        return action_command(action)


@click.group(
    cls=FlowGroup,
    lazy_subcommands={
        "import": Lazy(
            f"{_FLOW_COMMANDS}:import_",
            "Crea un flusso (Inattivo) da un file di destinatari; stampa il suo numero.",
        ),
        "status": Lazy(f"{_FLOW_COMMANDS}:status", "Stato di un flusso ed esiti dei destinatari."),
        "list": Lazy(
            f"{_FLOW_COMMANDS}:list_",
            "Elenca i flussi, i più recenti per primi (tutti: nessun limite).",
        ),
        "export": Lazy(
            f"{_FLOW_COMMANDS}:export",
            "Esporta in Excel i destinatari di un flusso con i loro esiti.",
        ),
        "edit": Lazy(
            f"{_FLOW_COMMANDS}:edit",
            "Modifica un flusso Inattivo: nome, descrizione, natura, modelli (ricontrollati),"
            " pulsanti e canale sicuro.",
        ),
        "replace-file": Lazy(
            f"{_FLOW_COMMANDS}:replace_file",
            "Sostituisce il file dei destinatari di un flusso Inattivo (con gli stessi controlli).",
        ),
        "correct": Lazy(
            "appio_core.cli.corrections:flow_correct",
            "Crea la rettifica di un flusso inviato: un nuovo flusso Inattivo per i soli"
            " destinatari che IO ha accettato, con i valori del file originale per i segnaposto.",
        ),
    },
)
def flow() -> None:
    """Flussi di invio massivo."""


@flow.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--column", "columns", multiple=True, callback=column_choices, help=COLUMN_HELP)
@click.option(
    "--natura",
    type=click.Choice([n.value for n in Natura]),
    help="Natura del flusso: su una Comunicazione le colonne «importo» e «numero avviso»"
    " sono solo testo, se non indicato altrimenti con --column.",
)
@click.option("--subject-template", help="Modello dell'oggetto, es. 'Avviso per {{nome}}'.")
@click.option("--text-template", help="Modello del testo (in alternativa al file).")
@click.option(
    "--text-template-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File con il modello del testo (Markdown, UTF-8).",
)
@click.option("--sheet", help="Foglio da leggere nei file .xlsx (di norma il primo).")
@click.option("--max-payment-amount", type=int, help="Importo massimo del servizio, in centesimi.")
@click.option(
    "--max-rows", type=int, default=1_000_000, show_default=True, help="Destinatari al massimo."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--limit", type=int, default=50, show_default=True, help="Righe elencate nel formato testo."
)
@click.pass_context
def validate(
    ctx: click.Context,
    file: Path,
    columns: tuple[tuple[str, str], ...],
    natura: str | None,
    subject_template: str | None,
    text_template: str | None,
    text_template_file: Path | None,
    sheet: str | None,
    max_payment_amount: int | None,
    max_rows: int,
    output_format: str,
    limit: int,
) -> None:
    """Controlla un file di destinatari (.csv o .xlsx).

    Esce con 0 se nessuna riga ha errori, 1 se alcune ne hanno, 2 se il file non è utilizzabile.
    """
    # The sandbox that reads the file starts first (it needs no pandas): its imports then
    # overlap with the ones below. Imported here: pandas and pyarrow are not needed by the
    # other `appio` commands.
    from appio_core.recipient_file import sandbox

    sandbox.start_soon()
    from appio_core.recipient_file.columns import payment_columns, payment_expected
    from appio_core.recipient_file.validation import FileOptions, validate_file

    if text_template_file is not None:
        if text_template is not None:
            raise click.UsageError("Usa --text-template oppure --text-template-file, non entrambi.")
        text_template = text_template_file.read_text(encoding="utf-8-sig")
    options = FileOptions(
        subject_template=subject_template,
        text_template=text_template,
        sheet=sheet,
        max_rows=max_rows,
        max_payment_amount=max_payment_amount,
        columns=dict(columns),
        payment_columns=payment_columns(natura),
        payment_expected=payment_expected(natura),
    )
    report = validate_file(file, file.name, options)
    if output_format == "json":
        report.write_json(sys.stdout)
    else:
        _print_text(report, limit)
    if not report.usable:
        ctx.exit(EXIT_UNUSABLE_FILE)
    if report.has_errors:
        ctx.exit(EXIT_ROW_ERRORS)


def _print_text(report: ValidationReport, limit: int) -> None:
    if report.file_errors:  # one line each, rather than the summary's single sentence
        click.echo("Il file non è utilizzabile:")
        for error in report.file_errors:
            click.echo(f"- {error.message}")
        return
    click.echo(report.summary())
    for warning in report.file_warnings:
        click.echo(f"Attenzione: {warning.message}")
    for note in report.notes:
        click.echo(note)
    if report.columns:
        click.echo(f"\nColonne (intestazione alla riga {report.header_row}):")
        for line in report.column_lines():
            click.echo(f"- {line}")
    for title, issues, total in (
        ("Errori", report.first_errors(limit), len(report.error_frame)),
        ("Avvisi", report.first_warnings(limit), len(report.warning_frame)),
    ):
        if not total:
            continue
        click.echo(f"\n{title}:")
        for issue in issues:
            click.echo(_line(issue))
        if total > limit:
            click.echo(f"… e altri {total - limit} (usa --limit o --format json).")


def _line(issue: RowIssue) -> str:
    value = f" «{issue.value}»" if issue.value else ""
    return f"riga {issue.row}, {issue.column}{value}: {issue.message}"
