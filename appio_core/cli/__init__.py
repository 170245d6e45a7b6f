"""The `appio` command: the same core as the web app, for IT staff and scripts.

The top layer: may import any package of the core. Commands load lazily (cli/lazy.py).
"""

from __future__ import annotations

import click

from appio_core.cli.common import AppGroup, Context
from appio_core.cli.lazy import Lazy, start_without_collector

# One line each for `appio --help`, which lists the commands without importing them.
COMMANDS = {
    "init": Lazy(
        "appio_core.cli.setup:init",
        "Crea o aggiorna il database; crea il primo amministratore se manca.",
    ),
    "operator": Lazy("appio_core.cli.operators:operator", "Operatori: chi usa IO Flussi."),
    "service": Lazy("appio_core.cli.services:service", "Servizi IO: chiavi e operatori abilitati."),
    "flow": Lazy("appio_core.cli.flow:flow", "Flussi di invio massivo."),
    "notification": Lazy(
        "appio_core.cli.notifications:notification",
        "Notifiche: invio di un singolo messaggio e archivio di tutti i messaggi inviati.",
    ),
    "template": Lazy(
        "appio_core.cli.templates:template",
        "Modelli di messaggio: oggetto e testo con {{colonna}}, in versioni.",
    ),
    "stats": Lazy(
        "appio_core.cli.stats:stats",
        "I numeri del cruscotto: messaggi inviati, accettati, consegnati, cittadini non su IO,"
        " servizio disattivato, errori, esiti incerti, letti e pagati (messaggi avanzati).",
    ),
    "keys": Lazy(
        "appio_core.cli.keys:keys",
        "Chiave segreta dell'installazione; chiavi dei servizi rigenerate su IO.",
    ),
    "worker": Lazy(
        "appio_core.cli.worker:worker",
        "Invia i flussi «In invio» (con PostgreSQL se ne possono avviare più d'uno).",
    ),
    "io": Lazy(
        "appio_core.cli.io:io",
        "Chiamate dirette a IO con la chiave di un servizio (verifiche e script).",
    ),
    "api": Lazy(
        "appio_core.cli.api:api",
        "Avvia l'API HTTP per gli altri sistemi del comune (chiavi da «Integrazioni»).",
    ),
    "integration": Lazy(
        "appio_core.cli.integrations:integration",
        "Integrazioni: le chiavi dell'API per gli altri sistemi del comune.",
    ),
    "simulator": Lazy(
        "appio_core.cli.simulator:simulator",
        "Avvia il simulatore di IO (stesse chiavi dei servizi demo, se non indicato altro).",
    ),
    "health": Lazy(
        "appio_core.cli.health:health",
        "Verifica database, migrazioni, chiave segreta (e con --io la risposta di IO).",
    ),
    "audit": Lazy(
        "appio_core.cli.audit:audit",
        "Registro attività: chi ha fatto cosa, su cosa, quando, da dove, con quale esito.",
    ),
    "purge": Lazy(
        "appio_core.cli.audit:purge",
        "Rimuove ora i dati personali scaduti (APPIO_RETENTION_DAYS), come fa il worker ogni"
        " giorno: testo, oggetto, colonne del file e numero avviso dei messaggi conclusi da"
        " più giorni di così; il codice fiscale diventa uno pseudonimo, anche nel registro"
        " attività.",
    ),
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
    start_without_collector()  # until the command is loaded (cli/lazy.py)
    cli(prog_name="appio")
