"""The `appio` command: the same core as the web app, for IT staff and scripts.

The top layer: may import any package of the core. Commands load lazily (cli/lazy.py).
"""

from __future__ import annotations

import click

from appio_core.cli.common import AppGroup, Context

COMMANDS = {
    "init": "appio_core.cli.setup:init",
    "operator": "appio_core.cli.operators:operator",
    "service": "appio_core.cli.services:service",
    "flow": "appio_core.cli.flow:flow",
    "notification": "appio_core.cli.notifications:notification",
    "keys": "appio_core.cli.keys:keys",
    "worker": "appio_core.cli.flow_commands:worker",
    "io": "appio_core.cli.io:io",
    "simulator": "appio_core.cli.simulator:simulator",
    "health": "appio_core.cli.health:health",
    "audit": "appio_core.cli.audit:audit",
    "purge": "appio_core.cli.audit:purge",
    "stats": "appio_core.cli.stats:stats",
}


@click.group(
    cls=AppGroup,
    lazy_subcommands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--as",
    "operator",
    envvar="APPIO_OPERATOR",
    metavar="UTENTE",
    help="Agisci come questo operatore (o APPIO_OPERATOR): i comandi hanno i suoi permessi e"
    " il registro attività lo nomina. Senza: agisce l'installazione (appio-cli).",
)
@click.pass_context
def cli(ctx: click.Context, operator: str | None) -> None:
    """IO Flussi: invio di messaggi App IO. Configurazione dalle variabili APPIO_*."""
    ctx.ensure_object(Context).operator = operator or None


def main() -> None:
    cli(prog_name="appio")
