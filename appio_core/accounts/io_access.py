"""Everything needed to call IO for one service: its keys, its account's limiter, a client."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import api_keys
from appio_core.io.client import IoClient
from appio_core.io.http import make_http_client
from appio_core.io.models import ApiKeys
from appio_core.io.rate_limit import RateLimiter, limiter_for_account
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

    @property
    def limiter(self) -> RateLimiter | None:
        """The account's one limiter in this process, shared by all its services (None:
        the account has no limit)."""
        return limiter_for_account(self.account, self.rate_limit_requests, self.rate_limit_window)


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
    )


def make_io_client(base_url: str, limiter: RateLimiter | None = None) -> IoClient:
    """An IoClient on the best transport for `base_url` ("simulator" runs in-process)."""
    return IoClient(base_url, make_http_client(base_url), limiter)
