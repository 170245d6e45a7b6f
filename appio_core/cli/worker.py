"""`appio worker`: the dispatcher as a process of its own, stopped cleanly by SIGTERM."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

import click

from appio_core.cli.common import (
    Context,
    pass_context,
)

if TYPE_CHECKING:
    pass


@click.command("worker")
@click.option("--once", is_flag=True, help="Do what can be done now, then exit.")
@pass_context
def worker(ctx: Context, once: bool) -> None:
    """Invia i flussi «In invio» (con PostgreSQL se ne possono avviare più d'uno)."""
    from appio_core.sending.worker import run_worker

    stopping = threading.Event()
    # systemd and Docker stop a service with SIGTERM. Dying at once would leave the rows
    # being posted «esito incerto» for an operator to sort out; instead the dispatcher
    # finishes the chunk in flight and releases its account leases. A second signal kills.
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def stop(signum: int, _frame: object) -> None:
        click.echo("Arresto del worker: termino gli invii in corso…", err=True)
        stopping.set()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    for sig in previous:
        signal.signal(sig, stop)
    try:
        click.echo("Worker avviato: SIGTERM o Ctrl-C per fermarlo.", err=True)
        run_worker(ctx.settings, once=once, sessions=ctx.sessions, should_stop=stopping.is_set)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopping.is_set():
        click.echo("Worker fermato.", err=True)
