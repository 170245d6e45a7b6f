"""`appio init`: create or upgrade the database and make sure an administrator exists."""

from __future__ import annotations

import click

from appio_core.accounts.operators import admin_exists, create_operator
from appio_core.cli.common import Context, pass_context
from appio_core.cli.passwords import read_password
from appio_core.demo.accounts import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    check_demo_allowed,
    seed_demo,
)
from appio_core.demo.flows import seed_demo_flows
from appio_core.domain import Role
from appio_core.storage.migrate import upgrade


@click.command()
@click.option("--admin-username", default="admin", show_default=True)
@click.option(
    "--admin-password-stdin",
    is_flag=True,
    help="Read the first administrator's password from the first line of stdin (else"
    " APPIO_ADMIN_PASSWORD[_FILE], else prompted).",
)
@click.option("--demo", is_flag=True, help="Add demo operators and services (simulator keys).")
@pass_context
def init(ctx: Context, admin_username: str, admin_password_stdin: bool, demo: bool) -> None:
    """Crea o aggiorna il database; crea il primo amministratore se manca."""
    upgrade(ctx.settings.database_url)
    click.echo("Database aggiornato.")
    if demo:
        with ctx.transaction() as session:
            check_demo_allowed(session, ctx.settings.uses_simulator)
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
        password = read_password(
            from_stdin=admin_password_stdin,
            env_name="APPIO_ADMIN_PASSWORD",
            prompt=f"Password per l'amministratore «{admin_username}»",
            stdin_flag="--admin-password-stdin",
        )
        create_operator(session, ctx.actor, admin_username, password, Role.ADMIN, "Amministratore")
    click.echo(f"Creato l'amministratore «{admin_username}».")
