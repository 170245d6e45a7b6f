"""`appio notification send`: one message to one citizen, at once, through the same core as
«Nuova notifica». Its options and its report are shared with `appio io send` and
`appio notification correct`.

Exit status: what happened to the message, for scripts (cli/exits.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from appio_core.cli.common import (
    Context,
    pass_context,
    read_text_file,
)
from appio_core.cli.cta_options import cta_option, secure_option, typed_buttons
from appio_core.cli.exits import SEND_EXIT_HELP, SendExit, single_exit
from appio_core.cli.template_use import TEMPLATE_OPTION, message_from_template
from appio_core.domain import POSITIVE_OUTCOMES, FeatureLevel
from appio_core.errors import InvalidInput
from appio_core.templates.use import TemplateRef

if TYPE_CHECKING:
    from appio_core.notifications.single import SingleResult


def send_options(command: Any) -> Any:
    options: list[Callable[[Any], Any]] = [
        click.option("--service", required=True, help="Nome del servizio o ID del servizio IO."),
        click.option("--fiscal-code", required=True, help="Codice fiscale del destinatario."),
        click.option("--subject", help="Oggetto, da 10 a 120 caratteri."),
        click.option("--text", help="Contenuto (Markdown), da 120 a 10.000 caratteri."),
        click.option(
            "--text-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="File con il contenuto (Markdown, UTF-8), in alternativa a --text.",
        ),
        click.option("--amount", default="", help="Importo in euro, es. 1.234,56."),
        click.option("--notice-number", default="", help="Numero avviso pagoPA, 18 cifre."),
        click.option(
            "--due-date", default="", help="Scadenza: gg/mm/aaaa oppure gg/mm/aaaa hh:mm."
        ),
        click.option("--advanced", is_flag=True, help="Messaggio avanzato (lettura, pagamento)."),
        click.option(
            "--request-key",
            metavar="CHIAVE",
            help="Chiave della richiesta, fino a 64 caratteri (ad esempio un UUID): lo"
            " stesso comando ripetuto con la stessa chiave non invia di nuovo; la stessa"
            " chiave con un altro messaggio è rifiutata.",
        ),
        cta_option,
        secure_option,
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def message_text(text: str | None, text_file: Path | None) -> str:
    if (text is None) == (text_file is None):
        raise click.UsageError(
            "Indica il contenuto con --text oppure con --text-file (uno dei due)."
        )
    return text if text is not None else read_text_file(text_file)  # type: ignore[arg-type]


def send_single(
    ctx: Context,
    *,
    service: str,
    fiscal_code: str,
    subject: str,
    text: str,
    amount: str,
    notice_number: str,
    due_date: str,
    advanced: bool,
    request_key: str | None,
    check_profile: bool,
    buttons: tuple[tuple[str, str, str], ...] = (),
    secure_channel: bool = False,
    template: TemplateRef | None = None,
) -> SingleResult:
    """The same path as «Aggiungi»: every field checked first, then registered and sent."""
    # Here, not at the top: `appio notification show|list` must not load the sending stack.
    from appio_core.accounts.services import find_service
    from appio_core.notifications.content import FIELD_LABELS, FieldErrors
    from appio_core.notifications.single import NewNotification, send_new

    with ctx.transaction() as session:
        service_id = find_service(session, ctx.actor, service).id
    data = NewNotification(
        template=template,
        service_id=service_id,
        fiscal_code=fiscal_code,
        subject=subject,
        text=text,
        amount=amount,
        notice_number=notice_number,
        due_date=due_date,
        feature_level=FeatureLevel.ADVANCED if advanced else FeatureLevel.STANDARD,
        check_profile=check_profile,
        request_key=request_key,
        buttons=buttons,
        secure_channel=secure_channel,
    )
    try:
        return send_new(ctx.sessions, ctx.actor, data, ctx.keybox, ctx.settings.io_base_url)
    except FieldErrors as exc:
        for field, message in exc.fields.items():
            click.echo(f"Errore: {FIELD_LABELS.get(field, field)}: {message}", err=True)
    except InvalidInput as exc:  # the request key
        click.echo(f"Errore: {exc.message}", err=True)
    click.echo("Nessun messaggio inviato.", err=True)
    sys.exit(SendExit.BAD_INPUT)


def report_result(result: SingleResult, fmt: str) -> None:
    """Prints the outcome; exits with its status unless IO accepted the message."""
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "id": result.id,
                    "outcome": result.outcome.value,
                    "io_message_id": result.io_message_id,
                    "detail": result.detail,
                    "repeated": result.repeated,
                },
                ensure_ascii=False,
            )
        )
    elif result.outcome in POSITIVE_OUTCOMES:
        click.echo(
            f"Notifica n. {result.id}: {result.outcome.value} da IO, ID messaggio"
            f" {result.io_message_id}."
        )
    else:
        click.echo(f"Notifica n. {result.id}: {result.outcome.value}. {result.detail or ''}")
    if result.repeated and fmt == "text":
        click.echo("Richiesta già ricevuta con questa chiave: nessun nuovo invio.")
    status = single_exit(result)
    if status != SendExit.ACCEPTED:
        sys.exit(status)


@click.command("send", epilog=SEND_EXIT_HELP)
@send_options
@TEMPLATE_OPTION
@pass_context
def send(
    ctx: Context,
    service: str,
    fiscal_code: str,
    subject: str | None,
    text: str | None,
    text_file: Path | None,
    amount: str,
    notice_number: str,
    due_date: str,
    advanced: bool,
    request_key: str | None,
    cta: tuple[str, ...],
    secure_channel: bool,
    fmt: str,
    template: str | None,
) -> None:
    """Invia subito un messaggio a un cittadino e lo registra nell'archivio.

    Controlla ogni campo prima di chiamare IO; verifica che il cittadino abbia IO e accetti il
    servizio. Con --template, oggetto, testo e pulsanti vengono dal modello se non indicati.
    Attenzione: un messaggio inviato non si può ritirare."""
    given = message_from_template(
        ctx,
        template,
        subject,
        text if text_file is None else (text or ""),
        advanced,
        typed_buttons(cta),
        secure_channel,
    )
    result = send_single(
        ctx,
        service=service,
        fiscal_code=fiscal_code,
        subject=given.subject,
        text=message_text(given.text or None, text_file),
        amount=amount,
        notice_number=notice_number,
        due_date=due_date,
        advanced=given.advanced,
        request_key=request_key,
        check_profile=True,
        buttons=given.buttons,
        secure_channel=given.secure_channel,
        template=given.template,
    )
    report_result(result, fmt)
