"""The `appio` command: the same core as the web app, for IT staff and scripts."""

from __future__ import annotations

import click

from appio_core.cli.common import AppGroup, Context
from appio_core.cli.flow import flow
from appio_core.cli.flow_commands import FLOW_COMMANDS, worker
from appio_core.cli.io import io
from appio_core.cli.operators import operator
from appio_core.cli.services import service
from appio_core.cli.setup import init
from appio_core.cli.simulator import simulator


@click.group(cls=AppGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """IO Flussi: invio di messaggi App IO. Configurazione dalle variabili APPIO_*."""
    ctx.ensure_object(Context)


cli.add_command(init)
cli.add_command(operator)
cli.add_command(service)
cli.add_command(flow)
for command in FLOW_COMMANDS:
    flow.add_command(command)
cli.add_command(worker)
cli.add_command(io)
cli.add_command(simulator)


def main() -> None:
    cli(prog_name="appio")
