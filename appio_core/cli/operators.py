"""`appio operator ...`: operators' accounts."""

from __future__ import annotations

import json
from typing import Any

import click

from appio_core.accounts.operators import (
    create_operator,
    list_operators,
    reset_password,
    set_email,
)
from appio_core.cli.common import Context, pass_context
from appio_core.cli.passwords import read_password
from appio_core.domain import Role

ROLES = [r.value for r in Role]


@click.group()
def operator() -> None:
    """Operatori: chi usa IO Flussi."""


PASSWORD_ENV = "APPIO_OPERATOR_PASSWORD"
PASSWORD_HELP = (
    "Read the password from the first line of stdin (else APPIO_OPERATOR_PASSWORD[_FILE],"
    " else prompted)."
)


@operator.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--full-name", default="")
@click.option("--password-stdin", is_flag=True, help=PASSWORD_HELP)
@pass_context
def add(ctx: Context, username: str, role: str, full_name: str, password_stdin: bool) -> None:
    """Aggiunge un operatore."""
    password = read_password(
        from_stdin=password_stdin, env_name=PASSWORD_ENV, prompt=f"Password per «{username}»"
    )
    with ctx.transaction() as session:
        create_operator(session, ctx.actor, username, password, role, full_name)
    click.echo(f"Operatore «{username.lower()}» aggiunto ({role}).")


@operator.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help=PASSWORD_HELP)
@pass_context
def password(ctx: Context, username: str, password_stdin: bool) -> None:
    """Reimposta la password di un operatore e ne chiude le sessioni."""
    new = read_password(
        from_stdin=password_stdin,
        env_name=PASSWORD_ENV,
        prompt=f"Nuova password per «{username}»",
    )
    with ctx.transaction() as session:
        reset_password(session, ctx.actor, username, new)
    click.echo(
        f"Password di «{username.strip().lower()}» reimpostata: le sue sessioni sono chiuse."
    )


@operator.command("email")
@click.argument("username")
@click.argument("address")
@pass_context
def email(ctx: Context, username: str, address: str) -> None:
    """Indica l'e-mail con cui l'operatore accede tramite single sign-on ("" la toglie)."""
    with ctx.transaction() as session:
        set_email(session, ctx.actor, username, address)
    click.echo(f"Operatore «{username.strip().lower()}»: e-mail aggiornata.")


@operator.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def list_(ctx: Context, fmt: str) -> None:
    """Elenca gli operatori."""
    with ctx.transaction() as session:
        rows: list[dict[str, Any]] = [
            {
                "username": op.username,
                "full_name": op.full_name,
                "role": op.role,
                "active": op.active,
                "email": op.email,
                "services": [s.name for s in op.services],
            }
            for op in list_operators(session, ctx.actor)
        ]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        state = "attivo" if row["active"] else "disattivato"
        services = ", ".join(row["services"]) or "-"
        click.echo(f"{row['username']}\t{row['role']}\t{state}\t{row['full_name']}\t{services}")
