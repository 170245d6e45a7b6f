"""`appio template ...`: saved message templates («Modelli»), the same core as the page.

`add` and `edit` exit with 2 when the template is wrong (nothing saved), 1 on any other
refusal; `show NAME@VERSION` reads an old version."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from appio_core.cli.common import EXIT_BAD_INPUT, Context, pass_context, read_text_file
from appio_core.cli.cta_options import checked_buttons, cta_option, edit_options, secure_option
from appio_core.content import cta as cta_rules
from appio_core.domain import FeatureLevel, Natura
from appio_core.italian import ROME, local_time
from appio_core.templates.fields import FIELD_LABELS, TemplateErrors, TemplateFields
from appio_core.templates.queries import (
    TemplateVersionView,
    get_template,
    list_templates,
    template_versions,
    version_diff,
)
from appio_core.templates.store import add_template, edit_template, find_for_edit

NATURE = [n.value for n in Natura]


@click.group("template")
def template() -> None:
    """Modelli di messaggio: oggetto e testo con {{colonna}}, in versioni."""


def _text(text: str | None, text_file: Path | None) -> str | None:
    if text is not None and text_file is not None:
        raise click.UsageError("Usa --text-template oppure --text-template-file, non entrambi.")
    return read_text_file(text_file) if text_file is not None else text


def field_options(command: Any) -> Any:
    for option in reversed(
        [
            click.option("--subject-template", help="Oggetto, es. 'TARI 2026 per {{nome}}'."),
            click.option("--text-template", help="Testo (Markdown) con i segnaposto {{colonna}}."),
            click.option(
                "--text-template-file",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="File con il testo (Markdown, UTF-8), in alternativa a --text-template.",
            ),
            click.option("--natura", type=click.Choice(NATURE)),
            click.option("--amount-column", help="Colonna del file con l'importo pagoPA."),
            click.option(
                "--notice-number-column", help="Colonna del file con il numero avviso pagoPA."
            ),
            click.option("--due-date-column", help="Colonna del file con la scadenza."),
            click.option(
                "--advanced/--standard",
                default=None,
                help="Messaggi avanzati (stato di lettura e di pagamento) oppure normali.",
            ),
        ]
    ):
        command = option(command)
    return command


def _saved(save: Any) -> TemplateVersionView:
    try:
        result: TemplateVersionView = save()
    except TemplateErrors as exc:
        for field, message in exc.fields.items():
            click.echo(f"Errore: {FIELD_LABELS.get(field, field)}: {message}", err=True)
        click.echo("Nessun modello salvato.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    return result


@template.command("add")
@click.argument("name")
@click.option("--service", "service_name", required=True, help="Nome del servizio o ID IO.")
@field_options
@cta_option
@secure_option
@pass_context
def add(
    ctx: Context,
    name: str,
    service_name: str,
    subject_template: str | None,
    text_template: str | None,
    text_template_file: Path | None,
    natura: str | None,
    amount_column: str | None,
    notice_number_column: str | None,
    due_date_column: str | None,
    advanced: bool | None,
    cta: tuple[str, ...],
    secure_channel: bool,
) -> None:
    """Crea un modello (versione 1) di un servizio."""
    from appio_core.accounts.services import find_service

    text = _text(text_template, text_template_file)
    if not subject_template or text is None:
        raise click.UsageError(
            "Indica l'oggetto con --subject-template e il testo con --text-template oppure"
            " --text-template-file."
        )
    fields = TemplateFields(
        natura=natura or Natura.COMMUNICATION.value,
        subject_template=subject_template,
        text_template=text,
        amount_column=amount_column or "",
        notice_number_column=notice_number_column or "",
        due_date_column=due_date_column or "",
        feature_level=FeatureLevel.chosen(bool(advanced)),
        require_secure_channels=secure_channel,
        buttons=checked_buttons(cta),
    )
    with ctx.transaction() as session:
        service_id = find_service(session, ctx.actor, service_name).id
        view = _saved(lambda: add_template(session, ctx.actor, service_id, name, fields))
    click.echo(f"Modello «{view.name}» creato (versione {view.version}).")


@template.command("edit")
@click.argument("name")
@field_options
@edit_options("del modello")
@pass_context
def edit(
    ctx: Context,
    name: str,
    subject_template: str | None,
    text_template: str | None,
    text_template_file: Path | None,
    natura: str | None,
    amount_column: str | None,
    notice_number_column: str | None,
    due_date_column: str | None,
    advanced: bool | None,
    cta: tuple[str, ...],
    no_cta: bool,
    secure_channel: bool | None,
) -> None:
    """Modifica un modello: salva una nuova versione, le precedenti restano leggibili.

    Cambia solo ciò che indichi; una colonna vuota (--amount-column '') la toglie, --no-cta
    toglie i pulsanti (--cta li sostituisce tutti)."""
    text = _text(text_template, text_template_file)
    if cta and no_cta:
        raise click.UsageError("Usa --cta oppure --no-cta, non entrambi.")
    buttons = () if no_cta else (checked_buttons(cta) if cta else None)
    with ctx.transaction() as session:
        template_id = find_for_edit(session, ctx.actor, name)
        current = get_template(session, ctx.actor, name).fields
        given: dict[str, Any] = {
            "subject_template": subject_template,
            "text_template": text,
            "natura": natura,
            "amount_column": amount_column,
            "notice_number_column": notice_number_column,
            "due_date_column": due_date_column,
        }
        fields = replace(current, **{k: v for k, v in given.items() if v is not None})
        if advanced is not None:
            fields = replace(fields, feature_level=FeatureLevel.chosen(advanced))
        if buttons is not None:
            fields = replace(fields, buttons=buttons)
        if secure_channel is not None:
            fields = replace(fields, require_secure_channels=secure_channel)
        view = _saved(lambda: edit_template(session, ctx.actor, template_id, fields))
    click.echo(f"Modello «{view.name}»: salvata la versione {view.version}.")


@template.command("list")
@click.option("--service", "service_name", help="Solo i modelli di questo servizio.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def list_(ctx: Context, service_name: str | None, fmt: str) -> None:
    """Elenca i modelli dei servizi a cui sei abilitato, per nome."""
    from appio_core.accounts.services import find_service

    with ctx.transaction() as session:
        service_id = find_service(session, ctx.actor, service_name).id if service_name else None
        found = list_templates(session, ctx.actor, service_id)
    if fmt == "json":
        rows = [
            {
                "name": t.name,
                "service": t.service_name,
                "natura": t.natura,
                "version": t.version,
                "updated_by": t.updated_by,
                "updated_at": iso_time(t.updated_at),
            }
            for t in found
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for t in found:
        click.echo(f"{t.name}\t{t.service_name}\t{t.natura}\tversione {t.version}")


def iso_time(moment: datetime) -> str:
    """Italian local time with its offset: readable and exact for scripts."""
    return moment.astimezone(ROME).isoformat(timespec="seconds")


def _json(view: TemplateVersionView) -> dict[str, Any]:
    fields = view.fields
    return {
        "name": view.name,
        "service": view.service_name,
        "version": view.version,
        "current_version": view.current_version,
        "natura": fields.natura,
        "subject_template": fields.subject_template,
        "text_template": fields.text_template,
        "amount_column": fields.amount_column or None,
        "notice_number_column": fields.notice_number_column or None,
        "due_date_column": fields.due_date_column or None,
        "advanced": fields.feature_level == FeatureLevel.ADVANCED,
        "cta": [button.to_json() for button in fields.buttons],
        "require_secure_channels": fields.require_secure_channels,
        "author": view.created_by,
        "created_at": iso_time(view.created_at),
    }


@template.command("show")
@click.argument("reference", metavar="NOME[@VERSIONE]")
@click.option("--diff", is_flag=True, help="Mostra anche le differenze dalla versione prima.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def show(ctx: Context, reference: str, diff: bool, fmt: str) -> None:
    """Mostra un modello (l'ultima versione, o quella dopo la @)."""
    with ctx.transaction() as session:
        view = get_template(session, ctx.actor, reference)
        previous = None
        if diff and view.version > 1:
            versions = template_versions(session, ctx.actor, view.template_id)
            previous = next(v for v in versions if v.version == view.version - 1)
    if fmt == "json":
        data = _json(view)
        if diff:
            data["diff"] = version_diff(previous, view)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    fields = view.fields
    click.echo(
        f"Modello «{view.name}» ({view.service_name}), versione {view.version} di"
        f" {view.current_version}: {view.created_by}, {local_time(view.created_at)}"
    )
    click.echo(f"Natura: {fields.natura}")
    click.echo(f"Oggetto: {fields.subject_template}")
    click.echo(f"Testo:\n{fields.text_template}")
    for label, column in (
        ("Colonna dell'importo", fields.amount_column),
        ("Colonna del numero avviso", fields.notice_number_column),
        ("Colonna della scadenza", fields.due_date_column),
    ):
        if column:
            click.echo(f"{label}: {column}")
    if fields.feature_level == FeatureLevel.ADVANCED:
        click.echo("Messaggi avanzati: sì")
    if fields.buttons:
        click.echo(f"Pulsanti: {cta_rules.describe(fields.buttons)}")
    if fields.require_secure_channels:
        click.echo("Canale sicuro: sì")
    if diff:
        click.echo("\nDifferenze:\n" + (version_diff(previous, view) or "nessuna"))
