"""`appio keys ...`: the installation's secret key, which encrypts the services' IO keys."""

from __future__ import annotations

import click

from appio_core.cli.common import Context, pass_context


@click.group("keys")
def keys() -> None:
    """Chiave segreta dell'installazione; chiavi dei servizi rigenerate su IO."""


@keys.command("generate")
def generate() -> None:
    """Stampa una nuova chiave segreta, da mettere in APPIO_SECRET_KEY."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


@keys.command("rotate")
@pass_context
def rotate(ctx: Context) -> None:
    """Cifra di nuovo le chiavi dei servizi con la prima chiave di APPIO_SECRET_KEY.

    Per cambiare la chiave segreta: metti la nuova chiave prima della vecchia, separate da una
    virgola (APPIO_SECRET_KEY=nuova,vecchia), esegui questo comando, poi togli la vecchia."""
    from appio_core.accounts.services import rotate_keys

    with ctx.transaction() as session:
        count = rotate_keys(session, ctx.actor, ctx.keybox)
    click.echo(
        f"{count} chiavi cifrate con la nuova chiave segreta. Ora puoi togliere la vecchia da"
        " APPIO_SECRET_KEY (conservane una copia finché non hai verificato i servizi)."
    )


@keys.command("regenerate")
@click.option("--service", required=True, help="Service name or IO service id.")
@pass_context
def regenerate(ctx: Context, service: str) -> None:
    """Rigenera su IO le due chiavi di un servizio, senza interrompere gli invii.

    Con la chiave di gestione (manage) dell'ente: IO rigenera la secondaria, l'app passa a
    usarla; finiti gli invii in corso, IO rigenera la primaria e l'app torna a usarla. Se si
    ferma a metà, ripeterlo la fa riprendere da dove si è fermata."""
    from appio_core.accounts.key_regeneration import regenerate_keys
    from appio_core.accounts.services import find_service
    from appio_core.io.manage import with_manage_client

    with ctx.transaction() as session:
        service_id = find_service(session, ctx.actor, service).id
    done = with_manage_client(
        ctx.settings.io_base_url,
        lambda client: regenerate_keys(ctx.sessions, ctx.actor, service_id, ctx.keybox, client),
    )
    for step in done.steps:
        click.echo(step)
    click.echo(f"Chiavi del servizio «{done.service_name}» rigenerate.")
