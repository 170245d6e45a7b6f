"""`appio simulator`: the IO simulator as a local server, for tests, benchmarks and demos."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import click

from appio_core.io.simulator import Faults, create_app, demo_config, load_config


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8787, show_default=True, type=int)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML with accounts, services, faults; default: the demo services.",
)
@click.option("--no-rate-limit", is_flag=True, help="Switch off the 150/5 s limit per account.")
@click.option("--seed", type=int, help="Seed of the population of citizens.")
@click.option("--processing-delay", type=float, help="Seconds before ACCEPTED becomes final.")
@click.option("--email-notifications", is_flag=True, help="Return the e-mail status (pre-2026).")
@click.option("--latency", type=float, help="Seconds added to every answer.")
@click.option("--latency-jitter", type=float, help="Up to this many more seconds, at random.")
@click.option("--fail-rate", type=float, help="Share of answers that are 500.")
@click.option("--unavailable-rate", type=float, help="Share of answers that are 503.")
@click.option("--timeout-rate", type=float, help="Share of answers that never come in time.")
@click.option("--drop-rate", type=float, help="Share of connections dropped mid-answer.")
def simulator(
    host: str,
    port: int,
    config_file: Path | None,
    no_rate_limit: bool,
    seed: int | None,
    processing_delay: float | None,
    email_notifications: bool,
    latency: float | None,
    latency_jitter: float | None,
    fail_rate: float | None,
    unavailable_rate: float | None,
    timeout_rate: float | None,
    drop_rate: float | None,
) -> None:
    """Avvia il simulatore di IO (stesse chiavi dei servizi demo, se non indicato altro)."""
    import uvicorn

    config = load_config(config_file) if config_file else demo_config()
    faults = {
        "latency": latency,
        "latency_jitter": latency_jitter,
        "error_500_rate": fail_rate,
        "error_503_rate": unavailable_rate,
        "timeout_rate": timeout_rate,
        "drop_rate": drop_rate,
    }
    chosen = Faults.from_json({k: v for k, v in faults.items() if v is not None}, config.faults)
    config = replace(
        config,
        served=True,
        faults=chosen,
        rate_limit=config.rate_limit and not no_rate_limit,
        seed=config.seed if seed is None else seed,
        processing_delay=(
            config.processing_delay if processing_delay is None else processing_delay
        ),
        email_notifications=config.email_notifications or email_notifications,
    )
    app = create_app(config)
    base_url = f"http://{host}:{port}/api/v1"
    click.echo(f"Simulatore IO in ascolto su {base_url}")
    click.echo(f"Per usarlo: APPIO_IO_BASE_URL={base_url}")
    for service in config.services:
        limited = " (chiave limitata)" if service.limited else ""
        click.echo(f"  servizio «{service.name}»: chiave {service.primary_key}{limited}")
    if config.manage_key:
        click.echo(f"  chiave di gestione (manage) dell'ente: {config.manage_key}")
    click.echo(f"Registro delle richieste: http://{host}:{port}/__simulator/record")
    # httptools parses HTTP several times faster than the pure-Python h11, and uvloop's
    # event loop is faster than asyncio's: together they keep the simulator out of the
    # way of any benchmark (bench/RESULTS-io.md).
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    uvicorn.run(
        app,
        host=host,
        port=port,
        http=http,
        loop=loop,
        log_level="warning",
        access_log=False,
        # IO's gateway runs on Azure (API Management), whose idle timeout is 4 minutes.
        # uvicorn's default of 5 s would close them while a paced client waits for its
        # next slot, and a request sent on a connection closed under it has an unknown
        # outcome: that would be the simulator's artefact, not IO's behaviour.
        timeout_keep_alive=240,
    )
