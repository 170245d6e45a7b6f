"""Several IO accounts, one service each, known alike to the simulator and the database:
for the fair share of the accounts between workers (tests) and bench/bench_scale.py."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import ServiceInput, create_service
from appio_core.io.simulator.config import SimAccount, SimService


def account_name(index: int) -> str:
    return f"ente-{index:02d}"


def sim_services(count: int) -> tuple[SimService, ...]:
    return tuple(
        SimService(
            service_id=f"01JSCALE{index:02d}SERVICE",
            name=f"Servizio {index:02d}",
            primary_key=f"scale{index:02d}primary0key",
            secondary_key=f"scale{index:02d}secondary0key",
            account=account_name(index),
        )
        for index in range(1, count + 1)
    )


def sim_accounts(count: int, requests: int, window: float) -> tuple[SimAccount, ...]:
    return tuple(SimAccount(account_name(i), requests, window) for i in range(1, count + 1))


def simulator_yaml(count: int, requests: int, window: float) -> str:
    """The `appio simulator --config` file of `count` accounts of `requests` per `window`."""
    data: dict[str, Any] = {
        "accounts": [
            {"name": a.name, "requests": a.requests, "window": a.window}
            for a in sim_accounts(count, requests, window)
        ],
        "services": [
            {
                "service_id": s.service_id,
                "name": s.name,
                "primary_key": s.primary_key,
                "secondary_key": s.secondary_key,
                "account": s.account,
            }
            for s in sim_services(count)
        ],
    }
    return yaml.safe_dump(data)


def add_services(
    session: Session, box: KeyBox, count: int, requests: int, window: int
) -> list[int]:
    """The same services in the database, each on its account with the limit given (0: no
    pacing on our side); returns their ids. Committed."""
    ids = []
    for service in sim_services(count):
        created = create_service(
            session,
            Actor.system(),
            ServiceInput(
                name=service.name,
                io_service_id=service.service_id,
                primary_key=service.primary_key,
                secondary_key=service.secondary_key,
                organization_name="Comune di Prova",
                account=service.account,
            ),
            box,
        )
        created.account.rate_limit_requests = requests
        created.account.rate_limit_window_seconds = window
        ids.append(created.id)
    session.commit()
    return ids
