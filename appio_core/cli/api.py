"""`appio api`: the HTTP API for the comune's other systems, served by uvicorn."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8502, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Processi uvicorn.")
def api(host: str, port: int, workers: int) -> None:
    """Avvia l'API HTTP per gli altri sistemi del comune (chiavi da «Integrazioni»)."""
    import uvicorn

    uvicorn.run(
        "appio_core.api.serve:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )
