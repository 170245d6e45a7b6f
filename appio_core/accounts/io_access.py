"""Everything needed to call IO for one service: its keys, its account's pacing, a client.

Outside the worker, every request books its slot on the account's shared budget
(appio_core/io/budget.py): these calls never come on top of a flow that uses the account's
whole quota, and a share of it is kept for them while one does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import api_keys
from appio_core.io.budget_pacing import SharedBudget, shared_budget
from appio_core.io.client import IoClient
from appio_core.io.http import make_http_client
from appio_core.io.models import ApiKeys
from appio_core.storage.db import session_engine
from appio_core.storage.models import Service


@dataclass(frozen=True)
class ServiceAccess:
    service_id: int
    name: str
    io_service_id: str
    keys: ApiKeys
    account: str
    rate_limit_requests: int
    rate_limit_window: float
    account_id: int
    engine: Engine = field(repr=False, compare=False)

    @property
    def limiter(self) -> SharedBudget | None:
        """The account's shared budget, on which each request books its slot (None: the
        account has no limit)."""
        return shared_budget(
            self.engine, self.account_id, self.rate_limit_requests, self.rate_limit_window
        )


def service_access(session: Session, actor: Actor, service_id: int, box: KeyBox) -> ServiceAccess:
    keys = api_keys(session, actor, service_id, box)  # checks the actor's permission
    service = session.get(Service, service_id)
    assert service is not None  # api_keys() raised NotFound otherwise
    return ServiceAccess(
        service_id=service.id,
        name=service.name,
        io_service_id=service.io_service_id,
        keys=keys,
        account=service.account.name,
        rate_limit_requests=service.account.rate_limit_requests,
        rate_limit_window=float(service.account.rate_limit_window_seconds),
        account_id=service.account_id,
        engine=session_engine(session),
    )


def make_io_client(base_url: str, limiter: SharedBudget | None) -> IoClient:
    """An IoClient on the best transport for `base_url` ("simulator" runs in-process),
    paced by the account's shared budget: the only pacing outside the worker (whose
    limiter comes from the registry of rate_limit.py, with the budget's watch)."""
    return IoClient(base_url, make_http_client(base_url), limiter)
