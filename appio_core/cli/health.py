"""`appio health [--io]`: the installation's checks, for monitoring and after an upgrade."""

from __future__ import annotations

import json

import click

from appio_core.cli.common import Context, pass_context
from appio_core.config import ConfigError
from appio_core.health import HealthReport, check_health, configuration_failed


@click.command()
@click.option("--io", "check_io", is_flag=True, help="Also ask IO for the test citizen.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@pass_context
def health(ctx: Context, check_io: bool, output_format: str) -> None:
    """Verifica database, migrazioni, chiave segreta (e con --io la risposta di IO).

    Esce con 0 se tutto funziona, 1 altrimenti: adatto al monitoraggio."""
    try:
        report = check_health(ctx.settings, io=check_io)
    except ConfigError as exc:
        # A monitoring probe reading JSON must get JSON for this problem too.
        report = configuration_failed(exc.message)
    _print(report, output_format)
    click.get_current_context().exit(0 if report.ok else 1)


def _print(report: HealthReport, output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    for check in report.checks:
        click.echo(f"{'OK' if check.ok else 'ERRORE'}: {check.message}")
