"""Demo data: operators and services bound to the IO simulator, no real keys.

The simulator's demo configuration (appio_core.io.simulator) knows the same keys, so
a fresh installation started with APPIO_IO_BASE_URL=simulator works end to end.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.operators import create_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import ServiceInput, create_service, enable_operator
from appio_core.domain import Role
from appio_core.storage.models import Operator, Service

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "demo-admin-2026"
DEMO_ACCOUNT = "comune-di-esempio"
DEMO_ORGANIZATION = "Comune di Esempio"
DEMO_ORGANIZATION_FISCAL_CODE = "00000000000"


@dataclass(frozen=True)
class DemoService:
    name: str
    io_service_id: str
    primary_key: str
    secondary_key: str
    limited: bool = False  # a "limited" key reaches only its authorised recipients
    max_payment_amount: int = 1_000_000


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
    ),
    DemoService(
        "Anagrafe - Carta d'identità",
        "01JDEMO0ANAGRAFE00000000C",
        "demo0anagrafe0primary0key1",
        "demo0anagrafe0secondary001",
        limited=True,
    ),
)


@dataclass(frozen=True)
class DemoOperator:
    username: str
    full_name: str
    role: Role
    password: str
    services: tuple[str, ...]


DEMO_OPERATORS = (
    DemoOperator(
        "mrossi",
        "Mario Rossi",
        Role.OPERATOR,
        "demo-operatore-2026",
        ("Tributi - TARI", "Servizi scolastici - Mensa"),
    ),
    DemoOperator(
        "lbianchi", "Lucia Bianchi", Role.VIEWER, "demo-consulta-2026", ("Tributi - TARI",)
    ),
)


def seed_demo(session: Session, box: KeyBox) -> None:
    """Add what is missing of the demo data; running it twice changes nothing."""
    actor = Actor.system()
    if not session.scalar(select(Operator).where(Operator.username == DEMO_ADMIN_USERNAME)):
        create_operator(
            session,
            actor,
            DEMO_ADMIN_USERNAME,
            DEMO_ADMIN_PASSWORD,
            Role.ADMIN,
            "Amministratore demo",
        )
    for demo in DEMO_SERVICES:
        if session.scalar(select(Service).where(Service.io_service_id == demo.io_service_id)):
            continue
        data = ServiceInput(
            name=demo.name,
            io_service_id=demo.io_service_id,
            primary_key=demo.primary_key,
            secondary_key=demo.secondary_key,
            organization_name=DEMO_ORGANIZATION,
            organization_fiscal_code=DEMO_ORGANIZATION_FISCAL_CODE,
            max_payment_amount=demo.max_payment_amount,
            account=DEMO_ACCOUNT,
        )
        create_service(session, actor, data, box)
    for op in DEMO_OPERATORS:
        if not session.scalar(select(Operator).where(Operator.username == op.username)):
            create_operator(session, actor, op.username, op.password, op.role, op.full_name)
        for service_name in op.services:
            enable_operator(session, actor, service_name, op.username)
