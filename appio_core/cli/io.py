"""`appio io ...`: talk to IO with a service's key, to check a key or script a check."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from appio_core.accounts.connection_check import run_connection_check
from appio_core.accounts.io_access import ServiceAccess, make_io_client, service_access
from appio_core.accounts.services import find_service
from appio_core.cli.common import CliError, Context, pass_context
from appio_core.cli.cta_options import typed_buttons
from appio_core.cli.exits import SEND_EXIT_HELP
from appio_core.cli.notification_send import message_text, report_result, send_options, send_single
from appio_core.io.client import IoClient
from appio_core.io.models import MessageStatus

T = TypeVar("T")

STATUS_WORDS = {
    "ACCEPTED": "accettato, in attesa di elaborazione",
    "THROTTLED": "in ritardo per un problema temporaneo di IO (riprova fino a 7 giorni)",
    "PROCESSED": "consegnato nella casella del cittadino",
    "REJECTED": "rifiutato: il cittadino non ha IO o ha bloccato il servizio",
    "FAILED": "non consegnato per un errore definitivo di IO",
}


@click.group("io")
def io() -> None:
    """Chiamate dirette a IO con la chiave di un servizio (verifiche e script)."""


def _access(ctx: Context, service: str) -> ServiceAccess:
    """Read rights on the service, for `appio io status`: it reads IO's status of a message
    already sent and writes nothing (unlike «Aggiorna stato», which stores it), so anyone
    who may read the service's messages in the archive may ask it, on a deactivated
    service too. The profile check has the rule of a send (recipient_check.profile_access)."""
    with ctx.transaction() as session:
        found = find_service(session, ctx.actor, service)
        return service_access(session, ctx.actor, found.id, ctx.keybox)


def _run(ctx: Context, access: ServiceAccess, call: Callable[[IoClient], Awaitable[T]]) -> T:
    async def run() -> T:
        client = make_io_client(ctx.settings.io_base_url, access.limiter)
        try:
            return await call(client)
        finally:
            await client.aclose()

    return asyncio.run(run())


@io.command()
@click.argument("fiscal_code")
@click.option("--service", required=True, help="Service name or IO service id.")
@pass_context
def profile(ctx: Context, fiscal_code: str, service: str) -> None:
    """Verifica se il cittadino ha IO e accetta i messaggi del servizio (come «Verifica
    destinatario»: serve il permesso di inviare, su un servizio attivo).

    La verifica resta nel registro attività, con il codice fiscale."""
    from appio_core.notifications.recipient_check import lookup_profile

    access, found = lookup_profile(
        ctx.sessions, ctx.actor, service, fiscal_code, ctx.keybox, ctx.settings.io_base_url
    )
    fiscal_code = fiscal_code.strip().upper()
    languages = ", ".join(found.preferred_languages) or "non indicate"
    if found.sender_allowed:
        click.echo(
            f"{fiscal_code}: ha l'app IO e accetta i messaggi del servizio «{access.name}» "
            f"(lingue: {languages})."
        )
    else:
        click.echo(
            f"{fiscal_code}: ha l'app IO ma ha disattivato i messaggi del servizio "
            f"«{access.name}»: non inviargli messaggi."
        )


@io.command(epilog=SEND_EXIT_HELP)
@send_options
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
) -> None:
    """Invia un messaggio di prova senza verificare il profilo (diagnostica).

    Gli stessi controlli di «Nuovo» prima di chiamare IO; il messaggio resta nell'archivio delle
    notifiche. Attenzione: IO non permette di ritirarlo."""
    if subject is None:
        raise click.UsageError("Indica l'oggetto con --subject.")
    result = send_single(
        ctx,
        service=service,
        fiscal_code=fiscal_code,
        subject=subject,
        text=message_text(text, text_file),
        amount=amount,
        notice_number=notice_number,
        due_date=due_date,
        advanced=advanced,
        request_key=request_key,
        check_profile=False,
        buttons=typed_buttons(cta),
        secure_channel=secure_channel,
    )
    report_result(result, fmt)  # exits with the outcome's status unless IO accepted it
    if fmt == "text":
        click.echo(f"Per lo stato: appio notification show {result.id}")


@io.command()
@click.argument("fiscal_code")
@click.argument("message_id")
@click.option("--service", required=True, help="Service name or IO service id.")
@pass_context
def status(ctx: Context, fiscal_code: str, message_id: str, service: str) -> None:
    """Mostra lo stato di un messaggio inviato."""
    access = _access(ctx, service)
    fiscal_code = fiscal_code.strip().upper()
    found = _run(ctx, access, lambda c: c.get_message_status(access.keys, fiscal_code, message_id))
    for line in describe_status(found):
        click.echo(line)


def describe_status(found: MessageStatus) -> list[str]:
    lines = [f"Messaggio {found.message_id}: {STATUS_WORDS[found.status]} ({found.status})."]
    email = found.email_notification
    lines.append(f"Notifica e-mail: {email if email else 'non comunicata da IO'}.")
    if found.read_status:
        lines.append(f"Lettura: {found.read_status}.")
    if found.payment_status:
        lines.append(f"Pagamento: {found.payment_status}.")
    return lines


@io.command()
@click.option("--service", required=True, help="Service name or IO service id.")
@pass_context
def check(ctx: Context, service: str) -> None:
    """Verifica la chiave del servizio con il cittadino di test (come «Verifica connessione»)."""
    with ctx.transaction() as session:
        found = find_service(session, ctx.actor, service)
        result = run_connection_check(session, ctx.actor, found.id, ctx.keybox, ctx.settings)
    if not result.ok:
        raise CliError(result.message)
    click.echo(result.message)


@io.command("manage-key")
@pass_context
def manage_key(ctx: Context) -> None:
    """Imposta la chiave di gestione (manage) dell'ente, per «Importa da IO» e «Rigenera chiavi».

    La chiave si legge dal prompt (nascosta) o, se lo stdin non è un terminale, dalla sua
    prima riga: mai dalla riga di comando, che altri vedono con `ps`."""
    from appio_core.accounts.manage_key import set_manage_key

    if sys.stdin.isatty():
        key = str(click.prompt("Chiave di gestione (manage) dell'ente", hide_input=True))
    else:
        key = sys.stdin.readline().strip()
        if not key:
            raise CliError("Scrivi la chiave di gestione sulla prima riga dello stdin.")
    with ctx.transaction() as session:
        view = set_manage_key(session, ctx.actor, key, ctx.keybox)
    click.echo(
        f"Chiave di gestione salvata ({view.masked}). Ora: appio service import-from-io,"
        " appio keys regenerate --service N."
    )
