"""API fixtures: the demo services, an application on the test database, and integrations
with their keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.api.app import create_app
from appio_core.api.limits import RateLimiter
from appio_core.config import load_settings
from appio_core.integrations.keys import CreatedIntegration, NewIntegration, create_integration
from appio_core.integrations.scopes import ALL_SCOPES, Scope
from tests.notifications.conftest import (  # noqa: F401  (the same demo data)
    MENSA,
    TARI,
    fresh_simulator,
    services,
)


@pytest.fixture
def limiter() -> RateLimiter:
    """Generous: tests that count requests set their own."""
    return RateLimiter(per_second=1000, burst=1000)


@pytest.fixture
def client(
    app_env: str, sessions: sessionmaker[Session], limiter: RateLimiter
) -> Iterator[TestClient]:
    app = create_app(load_settings(), sessions=sessions, limiter=limiter)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def make_integration(
    services: dict[str, int],  # noqa: F811  (the fixture imported above)
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> Callable[..., CreatedIntegration]:
    def make(
        name: str = "Tributi",
        service_names: tuple[str, ...] = (TARI.name,),
        scopes: frozenset[Scope] = ALL_SCOPES,
        webhook_url: str | None = None,
    ) -> CreatedIntegration:
        data = NewIntegration(name, tuple(services[s] for s in service_names), scopes, webhook_url)
        with sessions.begin() as session:
            return create_integration(session, Actor.system(), data, keybox)

    return make


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
