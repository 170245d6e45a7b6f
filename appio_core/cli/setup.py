"""`appio init`: create or upgrade the database and make sure an administrator exists."""

from __future__ import annotations

import os

import click

from appio_core.accounts.operators import admin_exists, create_operator
from appio_core.cli.common import CliError, Context, pass_context
from appio_core.config import env_or_file
from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, seed_demo
from appio_core.demo.flows import seed_demo_flows
from appio_core.domain import Role
from appio_core.storage.migrate import upgrade


@click.command()
@click.option("--admin-username", default="admin", show_default=True)
@click.option(
    "--admin-password",
    help="Password of the first administrator (else APPIO_ADMIN_PASSWORD[_FILE], else prompted).",
)
@click.option("--demo", is_flag=True, help="Add demo operators and services (simulator keys).")
@pass_context
def init(ctx: Context, admin_username: str, admin_password: str | None, demo: bool) -> None:
    """Crea o aggiorna il database; crea il primo amministratore se manca."""
    upgrade(ctx.settings.database_url)
    click.echo("Database aggiornato.")
    if demo:
        with ctx.transaction() as session:
            seed_demo(session, ctx.keybox)
        if ctx.settings.uses_simulator:
            seed_demo_flows(ctx.sessions, ctx.keybox, ctx.settings.io_base_url)
        click.echo(
            f"Dati demo presenti: accedi come «{DEMO_ADMIN_USERNAME}» "
            f"con password «{DEMO_ADMIN_PASSWORD}»."
        )
        return
    with ctx.transaction() as session:
        if admin_exists(session):
            return
        password = (
            admin_password
            or env_or_file(os.environ, "APPIO_ADMIN_PASSWORD")
            or _prompt_password(admin_username)
        )
        create_operator(session, ctx.actor, admin_username, password, Role.ADMIN, "Amministratore")
    click.echo(f"Creato l'amministratore «{admin_username}».")


def _prompt_password(username: str) -> str:
    try:
        return str(
            click.prompt(
                f"Password per l'amministratore «{username}»",
                hide_input=True,
                confirmation_prompt=True,
            )
        )
    except click.Abort:
        # No terminal (a container's or a unit's first start): say how to give the password,
        # on a line of its own after the unanswered prompt.
        click.echo(err=True)
        raise CliError(
            "Nessun amministratore e nessuna password: esegui `appio init` in un terminale, "
            "oppure indica la password con --admin-password o APPIO_ADMIN_PASSWORD_FILE."
        ) from None
