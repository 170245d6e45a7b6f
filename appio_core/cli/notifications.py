"""`appio notification ...`: single messages and the archive of every message sent.

Exit status: 0 done, 1 refused, 2 bad input (nothing sent); `send` (notification_send.py)
tells a script what happened to the message (cli/exits.py).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from appio_core.cli.common import (
    Context,
    ItalianDate,
    atomic_output,
    pass_context,
)
from appio_core.cli.lazy import Lazy, LazyGroup
from appio_core.content.cta import describe
from appio_core.domain import Outcome
from appio_core.italian import counted, euro, local_time
from appio_core.notifications.archive import NotificationFilters, iter_rows
from appio_core.notifications.detail import get_detail
from appio_core.notifications.json_forms import detail_json, row_json

if TYPE_CHECKING:
    pass

OUTCOMES = [o.value for o in Outcome]


@click.group(
    "notification",
    cls=LazyGroup,
    lazy_subcommands={
        "send": Lazy(
            "appio_core.cli.notification_send:send",
            "Invia subito un messaggio a un cittadino e lo registra nell'archivio.",
        ),
        "correct": Lazy(
            "appio_core.cli.corrections:notification_correct",
            "Invia subito la rettifica di una notifica singola accettata da IO: allo stesso"
            " cittadino, sullo stesso servizio.",
        ),
    },
)
def notification() -> None:
    """Notifiche: invio di un singolo messaggio e archivio di tutti i messaggi inviati."""


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
        click.echo(json.dumps([row_json(r) for r in rows], ensure_ascii=False, indent=2))
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
        data = detail_json(detail)
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
