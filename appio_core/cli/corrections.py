"""`appio flow correct` and `appio notification correct`: «Rettifica», as on the pages.

IO cannot delete or change a message once sent: a correction is a new message to the
citizens IO accepted, its subject starting with «Rettifica: ».
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from appio_core.cli.common import Context, pass_context, read_text_file
from appio_core.cli.exits import SEND_EXIT_HELP, SendExit
from appio_core.cli.notifications import message_text, report_result
from appio_core.errors import InvalidInput
from appio_core.notifications.content import FIELD_LABELS, FieldErrors


@click.command("correct")
@click.argument("flow_id", type=int)
@click.option(
    "--subject-template",
    help="Modello dell'oggetto. Senza: l'oggetto originale di ogni destinatario, con"
    " «Rettifica: » davanti.",
)
@click.option("--text-template", help="Modello del testo: che cosa è cambiato.")
@click.option(
    "--text-template-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File con il modello del testo (UTF-8), in alternativa a --text-template.",
)
@click.option("--name", help="Nome del nuovo flusso (di norma «Rettifica: » e il nome originale).")
@pass_context
def flow_correct(
    ctx: Context,
    flow_id: int,
    subject_template: str | None,
    text_template: str | None,
    text_template_file: Path | None,
    name: str | None,
) -> None:
    """Crea la rettifica di un flusso inviato: un nuovo flusso Inattivo per i soli
    destinatari che IO ha accettato, con i valori del file originale per i segnaposto.
    Stampa il numero del nuovo flusso; poi attivalo e invialo come ogni flusso."""
    from appio_core.flows.correction import correct_flow

    if (text_template is None) == (text_template_file is None):
        raise click.UsageError(
            "Indica il testo della rettifica con --text-template oppure con"
            " --text-template-file (uno dei due)."
        )
    text = text_template or read_text_file(text_template_file)  # type: ignore[arg-type]
    with ctx.transaction() as session:
        made = correct_flow(
            session,
            ctx.actor,
            flow_id,
            text_template=text,
            subject_template=subject_template,
            name=name,
        )
    click.echo(made.flow_id)
    click.echo(
        f"Flusso {made.flow_id} «{made.name}»: rettifica del flusso {made.corrects_flow_id},"
        f" {made.recipients} destinatari (stato «Inattivo»).",
        err=True,
    )


@click.command("correct", epilog=SEND_EXIT_HELP)
@click.argument("notification_id", type=int)
@click.option("--subject", help="Oggetto. Senza: quello originale con «Rettifica: » davanti.")
@click.option("--text", help="Testo (Markdown), da 120 a 10.000 caratteri: che cosa è cambiato.")
@click.option(
    "--text-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File con il testo (Markdown, UTF-8), in alternativa a --text.",
)
@click.option(
    "--request-key",
    metavar="CHIAVE",
    help="Chiave della richiesta, come per notification send: lo stesso comando ripetuto"
    " con la stessa chiave non invia di nuovo.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def notification_correct(
    ctx: Context,
    notification_id: int,
    subject: str | None,
    text: str | None,
    text_file: Path | None,
    request_key: str | None,
    fmt: str,
) -> None:
    """Invia subito la rettifica di una notifica singola accettata da IO: allo stesso
    cittadino, sullo stesso servizio. IO non permette di cancellare o cambiare un messaggio
    inviato: la rettifica è un nuovo messaggio."""
    from appio_core.notifications.corrections import correct_notification, correction_draft

    body = message_text(text, text_file)
    if subject is None:
        with ctx.transaction() as session:
            draft = correction_draft(session, ctx.actor, notification_id)
        if draft.subject_too_long:
            click.echo(f"Errore: {draft.subject_too_long} Indicalo con --subject.", err=True)
            click.echo("Nessun messaggio inviato.", err=True)
            sys.exit(SendExit.BAD_INPUT)
        subject = draft.subject
    try:
        result = correct_notification(
            ctx.sessions,
            ctx.actor,
            notification_id,
            subject=subject,
            text=body,
            box=ctx.keybox,
            base_url=ctx.settings.io_base_url,
            request_key=request_key,
        )
    except FieldErrors as exc:
        for field, message in exc.fields.items():
            click.echo(f"Errore: {FIELD_LABELS.get(field, field)}: {message}", err=True)
    except InvalidInput as exc:  # the request key
        click.echo(f"Errore: {exc.message}", err=True)
    else:
        report_result(result, fmt)
        return
    click.echo("Nessun messaggio inviato.", err=True)
    sys.exit(SendExit.BAD_INPUT)
