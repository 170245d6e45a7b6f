"""Demo data: operators and services bound to the IO simulator, no real keys.

The services and their keys are the simulator's (appio_core.io.simulator.demo), so a
fresh installation started with APPIO_IO_BASE_URL=simulator works end to end.
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
from appio_core.io.simulator.demo import (
    DEMO_ACCOUNT,
    DEMO_ORGANIZATION,
    DEMO_ORGANIZATION_FISCAL_CODE,
    DEMO_SERVICES,
)
from appio_core.storage.models import Operator, Service

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "demo-amministra-2026"


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
