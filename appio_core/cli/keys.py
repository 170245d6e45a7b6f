"""`appio keys ...`: the installation's secret key, which encrypts the services' IO keys."""

from __future__ import annotations

import click

from appio_core.cli.common import Context, pass_context


@click.group("keys")
def keys() -> None:
    """Chiave segreta dell'installazione (cifra le chiavi dei servizi IO)."""


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
