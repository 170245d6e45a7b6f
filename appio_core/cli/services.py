"""`appio service ...`: IO services, their keys and their operators."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import TextIO

import click

from appio_core.accounts.services import (
    DEFAULT_ACCOUNT,
    ServiceInput,
    create_service,
    enable_operator,
    find_service,
    list_services,
    set_account_rate_limit,
    set_approval_policy,
)
from appio_core.cli.common import Context, pass_context
from appio_core.content.amounts import parse_amount
from appio_core.content.cells import ContentError
from appio_core.domain import ApprovalPolicy


@click.group()
def service() -> None:
    """Servizi IO: chiavi e operatori abilitati."""


@service.command("add")
@click.option("--name", required=True, help="Display name, e.g. 'Tributi - TARI'.")
@click.option("--service-id", required=True, help="The IO service id.")
@click.option(
    "--primary-key",
    envvar="APPIO_PRIMARY_KEY",
    help="Better from APPIO_PRIMARY_KEY, --keys-stdin or the prompt: not in `ps` or the history.",
)
@click.option("--secondary-key", envvar="APPIO_SECONDARY_KEY")
@click.option(
    "--keys-stdin",
    is_flag=True,
    help="Read the primary key, and the secondary on a second line, from stdin.",
)
@click.option("--organization-name", default="")
@click.option("--organization-fiscal-code", default="")
@click.option(
    "--max-payment-amount",
    default="10.000,00",
    show_default=True,
    help="In euro, Italian form: 1.234,56.",
)
@click.option(
    "--account",
    default=DEFAULT_ACCOUNT,
    show_default=True,
    help="The IO account: its services share one rate limit.",
)
@pass_context
def add(
    ctx: Context,
    name: str,
    service_id: str,
    primary_key: str | None,
    secondary_key: str | None,
    keys_stdin: bool,
    organization_name: str,
    organization_fiscal_code: str,
    max_payment_amount: str,
    account: str,
) -> None:
    """Aggiunge un servizio IO."""
    if keys_stdin:
        primary_key, secondary_key = _keys_from(sys.stdin)
    elif primary_key is None:
        primary_key = click.prompt("Chiave primaria", hide_input=True)
        secondary_key = secondary_key or click.prompt(
            "Chiave secondaria (Invio per nessuna)", hide_input=True, default="", show_default=False
        )
    data = ServiceInput(
        name=name,
        io_service_id=service_id,
        primary_key=primary_key,
        secondary_key=secondary_key or None,
        organization_name=organization_name,
        organization_fiscal_code=organization_fiscal_code,
        max_payment_amount=_cents(max_payment_amount),
        account=account,
    )
    with ctx.transaction() as session:
        created = create_service(session, ctx.actor, data, ctx.keybox)
    click.echo(f"Servizio «{created.name}» aggiunto (id {created.id}).")


def _keys_from(stream: TextIO) -> tuple[str, str | None]:
    lines = [line.strip() for line in stream.read(4096).splitlines() if line.strip()]
    if not lines or len(lines) > 2:
        raise click.UsageError(
            "Con --keys-stdin scrivi la chiave primaria su una riga e, se c'è, la secondaria"
            " sulla riga dopo."
        )
    return lines[0], (lines[1] if len(lines) == 2 else None)


def _cents(amount: str) -> int:
    try:
        return parse_amount(amount)
    except ContentError as error:
        raise click.BadParameter(error.message, param_hint="--max-payment-amount") from None


@service.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def list_(ctx: Context, fmt: str) -> None:
    """Elenca i servizi (chiavi mascherate)."""
    with ctx.transaction() as session:
        views = list_services(session, ctx.actor)
    if fmt == "json":
        click.echo(json.dumps([dataclasses.asdict(v) for v in views], ensure_ascii=False, indent=2))
        return
    for v in views:
        state = "attivo" if v.active else "disattivato"
        click.echo(
            f"{v.id}\t{v.name}\t{v.io_service_id}\t{state}\tchiavi {v.primary_key} "
            f"{v.secondary_key or '-'}\taccount {v.account}\toperatori "
            f"{', '.join(v.operators) or '-'}\tapprovazione {v.approval}"
        )


@service.command("enable")
@click.option("--service", "service_name", required=True)
@click.option("--operator", "username", required=True)
@pass_context
def enable(ctx: Context, service_name: str, username: str) -> None:
    """Abilita un operatore a un servizio."""
    with ctx.transaction() as session:
        enable_operator(session, ctx.actor, service_name, username)
    click.echo(f"Operatore «{username}» abilitato su «{service_name}».")


@service.command("approval")
@click.argument("name")
@click.argument("policy", type=click.Choice([p.value for p in ApprovalPolicy]))
@click.argument("threshold", type=click.IntRange(min=1), required=False)
@pass_context
def approval(ctx: Context, name: str, policy: str, threshold: int | None) -> None:
    """Approvazione dei flussi del servizio da parte di un secondo operatore.

    \b
    off        nessuna approvazione;
    above N    per i flussi con più di N destinatari;
    always     per ogni flusso.
    Le notifiche singole non la richiedono mai."""
    chosen = ApprovalPolicy(policy)
    if chosen is ApprovalPolicy.ABOVE and threshold is None:
        raise click.UsageError("Con «above» indica il numero di destinatari: above 100.")
    if chosen is not ApprovalPolicy.ABOVE and threshold is not None:
        raise click.UsageError(f"Con «{policy}» non si indica un numero di destinatari.")
    with ctx.transaction() as session:
        found = find_service(session, ctx.actor, name)
        updated = set_approval_policy(session, ctx.actor, found.id, chosen, threshold)
        words = chosen.describe(updated.approval_threshold)
        click.echo(f"Servizio «{updated.name}»: approvazione dei flussi {words}.")


@service.command("account")
@click.argument("name")
@click.option("--requests", type=int, required=True, help="Requests per window (0: no limit).")
@click.option("--window", type=int, default=5, show_default=True, help="Seconds.")
@pass_context
def account(ctx: Context, name: str, requests: int, window: int) -> None:
    """Imposta il limite di richieste di un account IO (di norma 150 ogni 5 s)."""
    with ctx.transaction() as session:
        set_account_rate_limit(session, ctx.actor, name, requests, window)
    click.echo(f"Account «{name}»: {requests} richieste ogni {window} s.")


@service.command("import-from-io")
@click.option(
    "--service-id", "service_ids", multiple=True, help="IO service id to import (repeatable)."
)
@click.option("--all", "everything", is_flag=True, help="Import every service of the ente.")
@pass_context
def import_from_io(ctx: Context, service_ids: tuple[str, ...], everything: bool) -> None:
    """Servizi dell'ente su IO: senza opzioni li elenca, con --service-id o --all li importa
    con le loro chiavi (letti con la chiave di gestione dell'ente)."""
    from appio_core.accounts.io_import import import_services, io_services
    from appio_core.io.manage import with_manage_client
    from appio_core.italian import euro

    if everything and service_ids:
        raise click.UsageError("Indica --service-id oppure --all, non entrambi.")
    url = ctx.settings.io_base_url
    with ctx.transaction() as session:
        if not everything and not service_ids:
            rows = with_manage_client(
                url, lambda client: io_services(session, ctx.actor, ctx.keybox, client)
            )
            for row in rows:
                s = row.service
                here = f"già presente come «{row.local_name}»" if row.present else "da importare"
                amount = euro(s.max_payment_amount) if s.max_payment_amount else "-"
                click.echo(
                    f"{s.id}\t{s.name}\t{s.state_label}\t{s.organization_name or '-'}\t"
                    f"massimo {amount}\t{here}"
                )
            click.echo(
                "Per importarli: appio service import-from-io --service-id ID [...] oppure --all."
            )
            return
        chosen = None if everything else list(service_ids)
        report = with_manage_client(
            url, lambda client: import_services(session, ctx.actor, ctx.keybox, client, chosen)
        )
    for line in report.lines():
        click.echo(line)
