"""Demo data: operators and services bound to the IO simulator, no real keys, and the
simulator's manage key for IO's management API.

The services and their keys are the simulator's (appio_core.io.simulator.demo), so a
fresh installation started with APPIO_IO_BASE_URL=simulator works end to end.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.manage_key import manage_key_view, set_manage_key
from appio_core.accounts.operators import create_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import ServiceInput, create_service, enable_operator
from appio_core.domain import Role
from appio_core.errors import Conflict
from appio_core.io.simulator.demo import (
    DEMO_ACCOUNT,
    DEMO_MANAGE_KEY,
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


def check_demo_allowed(session: Session, uses_simulator: bool) -> None:
    """The demo's operators have published passwords and its services the simulator's
    keys: only in a new database (or one that holds the demo already) bound to the
    simulator. In a real installation they would be a way in for anyone."""
    if not uses_simulator:
        raise Conflict(
            "I dati demo si aggiungono solo con il simulatore di IO"
            " (APPIO_IO_BASE_URL=simulator): le loro password sono pubbliche."
        )
    operators = set(session.scalars(select(Operator.username)))
    services = set(session.scalars(select(Service.io_service_id)))
    demo_operators = {DEMO_ADMIN_USERNAME, *(op.username for op in DEMO_OPERATORS)}
    demo_services = {s.io_service_id for s in DEMO_SERVICES}
    new = not operators and not services
    only_demo = operators == demo_operators and services == demo_services
    if not (new or only_demo):
        raise Conflict(
            "Il database contiene già operatori o servizi: i dati demo si aggiungono solo a"
            " un database nuovo. Per provare IO Flussi usa un'altra APPIO_DATABASE_URL."
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
    if manage_key_view(session) is None:
        # The simulator's manage key: «Importa da IO» and «Rigenera chiavi» work at once.
        set_manage_key(session, actor, DEMO_MANAGE_KEY, box)
    for op in DEMO_OPERATORS:
        if not session.scalar(select(Operator).where(Operator.username == op.username)):
            create_operator(session, actor, op.username, op.password, op.role, op.full_name)
        for service_name in op.services:
            enable_operator(session, actor, service_name, op.username)
