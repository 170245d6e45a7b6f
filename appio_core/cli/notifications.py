"""`appio notification ...`: single messages and the archive of every message sent.

Exit status: 0 done, 1 refused, 2 bad input (nothing sent); `send` tells a script what
happened to the message (cli/exits.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from appio_core.cli.common import (
    Context,
    ItalianDate,
    atomic_output,
    pass_context,
    read_text_file,
)
from appio_core.cli.cta_options import cta_option, secure_option, typed_buttons
from appio_core.cli.exits import SEND_EXIT_HELP, SendExit, single_exit
from appio_core.cli.lazy import Lazy, LazyGroup
from appio_core.cli.template_use import TEMPLATE_OPTION, message_from_template, template_keys
from appio_core.content.cta import describe
from appio_core.domain import FeatureLevel, Outcome
from appio_core.errors import InvalidInput
from appio_core.italian import ROME, counted, euro, local_time
from appio_core.notifications import labels
from appio_core.notifications.archive import NotificationFilters, NotificationRow, iter_rows
from appio_core.notifications.detail import get_detail
from appio_core.templates.use import TemplateRef

if TYPE_CHECKING:
    from appio_core.notifications.single import SingleResult

OUTCOMES = [o.value for o in Outcome]
POSITIVE = {Outcome.ACCEPTED, Outcome.DELIVERED}


@click.group(
    "notification",
    cls=LazyGroup,
    lazy_subcommands={
        "correct": Lazy(
            "appio_core.cli.corrections:notification_correct",
            "Invia subito la rettifica di una notifica singola accettata da IO: allo stesso"
            " cittadino, sullo stesso servizio.",
        )
    },
)
def notification() -> None:
    """Notifiche: invio di un singolo messaggio e archivio di tutti i messaggi inviati."""


def _iso(moment: datetime | None) -> str | None:
    """Italian local time, with its offset: readable and exact for scripts."""
    return moment.astimezone(ROME).isoformat(timespec="seconds") if moment else None


# ---- send ---------------------------------------------------------------------------------


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
    cta: tuple[str, ...] = (),
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
        buttons=typed_buttons(cta),
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
    elif result.outcome in POSITIVE:
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


@notification.command("send", epilog=SEND_EXIT_HELP)
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
    servizio. Con --template, oggetto e testo vengono dal modello se non indicati. Attenzione:
    un messaggio inviato non si può ritirare."""
    ref, subject, text, advanced = message_from_template(
        ctx, template, subject, text if text_file is None else (text or ""), advanced
    )
    result = send_single(
        ctx,
        service=service,
        fiscal_code=fiscal_code,
        subject=subject,
        text=message_text(text or None, text_file),
        amount=amount,
        notice_number=notice_number,
        due_date=due_date,
        advanced=advanced,
        request_key=request_key,
        check_profile=True,
        cta=cta,
        secure_channel=secure_channel,
        template=ref,
    )
    report_result(result, fmt)


# ---- the archive ----------------------------------------------------------------------------


def filter_options(command: Any) -> Any:
    for option in reversed(
        [
            click.option("--service", default="", help="Nome del servizio o ID del servizio IO."),
            click.option("--fiscal-code", default="", help="Codice fiscale del destinatario."),
            click.option("--flow", default="", help="Numero del flusso, o parole del suo nome."),
            click.option("--single", is_flag=True, help="Solo le notifiche singole («Nuovo»)."),
            click.option("--outcome", type=click.Choice(OUTCOMES), help="Esito."),
            click.option("--subject", default="", help="Parole contenute nell'oggetto."),
            click.option("--from", "sent_from", type=ItalianDate(), help="Inviate dal gg/mm/aaaa."),
            click.option("--to", "sent_to", type=ItalianDate(), help="Inviate fino al gg/mm/aaaa."),
            click.option("--author", default="", help="Utente che ha creato la notifica."),
            click.option("--corrections", is_flag=True, help="Solo le rettifiche."),
        ]
    ):
        command = option(command)
    return command


def build_filters(
    ctx: Context,
    *,
    service: str,
    fiscal_code: str,
    flow: str,
    single: bool,
    outcome: str | None,
    subject: str,
    sent_from: date | None,
    sent_to: date | None,
    author: str,
    corrections: bool = False,
) -> NotificationFilters:
    from appio_core.accounts.services import find_service

    service_id = None
    if service:
        with ctx.transaction() as session:
            service_id = find_service(session, ctx.actor, service).id
    return NotificationFilters(
        service_id=service_id,
        fiscal_code=fiscal_code,
        flow=flow,
        only_single=single,
        outcome=Outcome(outcome) if outcome else None,
        subject_contains=subject,
        sent_from=sent_from,
        sent_to=sent_to,
        author=author,
        only_corrections=corrections,
    )


def _json_row(row: NotificationRow) -> dict[str, Any]:
    has_message = row.io_message_id is not None
    return {
        "id": row.id,
        "flow_id": row.flow_id,
        "flow": row.flow_name,
        "row_number": row.row_number,
        "service": row.service_name,
        "fiscal_code": row.fiscal_code,
        "subject": row.subject,
        "outcome": row.outcome.value,
        "detail": row.error_detail,
        "io_message_id": row.io_message_id,
        "io_status": labels.io_status_label(row.io_status, has_message),
        "email_status": labels.email_status_label(row.email_status, has_message),
        "amount": euro(row.amount) or None,
        "created_by": row.created_by,
        "created_at": _iso(row.created_at),
        "sent_at": _iso(row.sent_at),
        "corrects_notification_id": row.corrects_notification_id,
        "corrected_by": row.corrected_by,
    }


@notification.command("list")
@filter_options
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def list_(ctx: Context, limit: int, fmt: str, **filters: Any) -> None:
    """Elenca le notifiche dell'archivio, le più recenti per prime."""
    chosen = build_filters(ctx, **filters)
    with ctx.transaction() as session:
        from appio_core.notifications.archive import count

        total = count(session, ctx.actor, chosen)
        rows = []
        for row in iter_rows(session, ctx.actor, chosen):
            rows.append(row)
            if len(rows) >= limit:
                break
    if fmt == "json":
        click.echo(json.dumps([_json_row(r) for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Nessuna notifica corrisponde ai filtri.")
        return
    for r in rows:
        sent = local_time(r.sent_at) or "non inviata"
        source = f"flusso {r.flow_id}" if r.flow_id else "singola"
        if r.corrects_notification_id:
            source += f", rettifica di {r.corrects_notification_id}"
        click.echo(
            f"{r.id}\t{sent}\t{r.service_name}\t{r.fiscal_code}\t{r.outcome.value}\t{source}"
            f"\t{r.subject}"
        )
    if total > len(rows):
        click.echo(f"… {len(rows)} di {total} notifiche: usa --limit, i filtri o export.")


@notification.command("show")
@click.argument("notification_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def show(ctx: Context, notification_id: int, fmt: str) -> None:
    """Mostra il dettaglio di una notifica, con lo stato su IO e lo stato mail."""
    with ctx.transaction() as session:
        detail = get_detail(session, ctx.actor, notification_id)
    if fmt == "json":
        data = asdict(detail)
        for name, value in data.items():
            if isinstance(value, datetime):
                data[name] = _iso(value)
        data["history"] = [{**event, "at": _iso(event["at"])} for event in data["history"]]
        data["outcome"] = detail.outcome.value
        data["feature_level"] = detail.feature_level.value
        data.pop("buttons")
        data["cta"] = [button.to_json() for button in detail.buttons]
        data["require_secure_channels"] = data.pop("secure_channel")
        data |= template_keys(detail.template)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    source = (
        f"flusso n. {detail.flow_id} «{detail.flow_name}», riga {detail.row_number}"
        if detail.flow_id
        else "notifica singola"
    )
    lines = [
        f"Notifica n. {detail.id} ({source})",
        f"Servizio: {detail.service_name}",
        f"Autore: {detail.created_by}, il {local_time(detail.created_at)}",
        f"Codice fiscale: {detail.fiscal_code}",
        f"Oggetto: {detail.subject}",
        f"Esito: {detail.outcome.value} – {detail.outcome_explained}",
    ]
    if detail.template is not None:
        lines.append(f"Dal {detail.template.describe()}")
    if detail.error_detail:
        lines.append(f"Dettaglio: {detail.error_detail}")
    if detail.corrects_notification_id:
        lines.append(f"Rettifica di n. {detail.corrects_notification_id}")
    if detail.corrected_by:
        lines.append("Rettificata da " + ", ".join(f"n. {i}" for i in detail.corrected_by))
    if detail.purge_note:
        lines.append(f"{detail.purge_note}: contenuto e dati del file non più conservati.")
    if detail.send_after is not None:
        lines.append(f"Invio programmato: {local_time(detail.send_after)}")
    lines += [
        f"Inviata il: {local_time(detail.sent_at) or '—'}",
        f"ID messaggio IO: {detail.io_message_id or '—'}",
        f"Stato su IO: {detail.io_status}",
        f"Stato Mail: {detail.email_status}",
        f"Lettura: {detail.read_status}",
        f"Pagamento: {detail.payment_status}",
    ]
    if detail.amount is not None:
        lines.append(f"Importo: {euro(detail.amount)}, avviso {detail.notice_number}")
    if detail.due_date is not None:
        lines.append(f"Scadenza: {local_time(detail.due_date)}")
    if detail.invalid_after_due_date:
        lines.append("Pagabile dopo la scadenza: no")
    if detail.buttons:
        lines.append(f"Pulsanti: {describe(detail.buttons)}")
    if detail.secure_channel:
        lines.append("Canale sicuro: sì (niente e-mail, notifica push senza contenuto)")
    for event in detail.history:
        lines.append(f"  {local_time(event.at)}: {event.io_status}, mail {event.email_status}")
    if detail.markdown:
        lines.append("Contenuto:")
        lines += [f"  {line}" for line in detail.markdown.splitlines()]
    click.echo("\n".join(lines))


@notification.command("export")
@filter_options
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Il file Excel da scrivere (.xlsx).",
)
@pass_context
def export(ctx: Context, output: Path, **filters: Any) -> None:
    """Esporta in Excel tutte le notifiche che corrispondono ai filtri."""
    from appio_core.exports.workbooks import write_notifications

    chosen = build_filters(ctx, **filters)
    with ctx.transaction() as session, atomic_output(output) as target:
        count = write_notifications(session, ctx.actor, chosen, target)
    click.echo(f"{counted(count, 'notifica esportata', 'notifiche esportate')} in {output}.")
