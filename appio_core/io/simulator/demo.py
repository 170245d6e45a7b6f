"""The demo services as IO knows them: ids, keys, account. No real keys.

They live here, below the demo data (appio_core.demo), because the simulator must know
them to answer and may not import a higher layer; appio_core.demo.accounts adds the same
services to the database, so a fresh installation started with
APPIO_IO_BASE_URL=simulator works end to end.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_ACCOUNT = "comune-di-esempio"
DEMO_ORGANIZATION = "Comune di Esempio"
DEMO_ORGANIZATION_FISCAL_CODE = "00000000000"
# The ente's key of IO's management API (list its services, read and regenerate their keys).
DEMO_MANAGE_KEY = "demo0comune0manage0key0001"


@dataclass(frozen=True)
class DemoService:
    name: str
    io_service_id: str
    primary_key: str
    secondary_key: str
    limited: bool = False  # a "limited" key reaches only its authorised recipients
    max_payment_amount: int = 1_000_000
    advanced: bool = True  # PagoPA lets it send premium (ADVANCED) messages


DEMO_SERVICES = (
    DemoService(
        "Tributi - TARI",
        "01JDEMO0TRIBUTI0000000000A",
        "demo0tributi0primary0key01",
        "demo0tributi0secondary0k01",
    ),
    DemoService(
        "Servizi scolastici - Mensa",
        "01JDEMO0MENSA00000000000B",
        "demo0mensa0primary0key0001",
        "demo0mensa0secondary0key01",
        max_payment_amount=50_000,
        advanced=False,  # «Messaggio avanzato» is refused: PagoPA's explanation shows it
    ),
    DemoService(
        "Anagrafe - Carta d'identità",
        "01JDEMO0ANAGRAFE00000000C",
        "demo0anagrafe0primary0key1",
        "demo0anagrafe0secondary001",
        limited=True,
    ),
)

# Services the ente has on IO but not yet in the demo's database: «Importa da IO» adds them.
DEMO_IO_ONLY_SERVICES = (
    DemoService(
        "Polizia locale - Sanzioni",
        "01JDEMO0POLIZIA000000000D",
        "demo0polizia0primary0key01",
        "demo0polizia0secondary001",
        max_payment_amount=200_000,
    ),
    DemoService(
        "Servizi sociali - Contributi",
        "01JDEMO0SOCIALI000000000E",
        "demo0sociali0primary0key01",
        "demo0sociali0secondary001",
    ),
)
