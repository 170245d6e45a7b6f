"""The API application: FastAPI, its OpenAPI 3.1 document at /api/v1/openapi.json and the
docs page at /api/v1/docs; every route under /api/v1."""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.api import flow_actions, flows, notifications, problems, services
from appio_core.api.context import ApiContext
from appio_core.api.limits import BodyLimit, NoNul, RateLimiter
from appio_core.config import Settings
from appio_core.storage.db import make_engine, make_sessionmaker

PREFIX = "/api/v1"
# Requests per second per key, on average, and the burst allowed (APPIO_API_RATE_LIMIT,
# APPIO_API_RATE_BURST): enough for a system's batch, not enough to flood the queue.
DEFAULT_RATE = 50.0
DEFAULT_BURST = 100

DESCRIPTION = """\
L'API di IO Flussi per i sistemi del comune (tributi, anagrafe, mensa, SUAP, protocollo):
notifiche singole, flussi di invio massivo, servizi. Ogni chiamata porta la chiave
dell'integrazione in `Authorization: Bearer …` (pagina «Integrazioni» o
`appio integration add`). Gli errori sono `application/problem+json` (RFC 9457).
"""


def rate_limiter(environ: dict[str, str] | None = None) -> RateLimiter:
    env = os.environ if environ is None else environ
    per_second = float(env.get("APPIO_API_RATE_LIMIT") or DEFAULT_RATE)
    burst = int(env.get("APPIO_API_RATE_BURST") or DEFAULT_BURST)
    return RateLimiter(per_second, burst)


def create_app(
    settings: Settings,
    sessions: sessionmaker[Session] | None = None,
    limiter: RateLimiter | None = None,
) -> FastAPI:
    app = FastAPI(
        title="IO Flussi API",
        version="1",
        description=DESCRIPTION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.context = ApiContext(
        settings=settings,
        sessions=sessions or make_sessionmaker(make_engine(settings.database_url)),
        box=KeyBox(settings.secret_key),
        limiter=limiter or rate_limiter(),
    )
    problems.install(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(NoNul)
    app.include_router(services.router, prefix=PREFIX)
    app.include_router(flows.router, prefix=PREFIX)
    app.include_router(flow_actions.router, prefix=PREFIX)
    app.include_router(notifications.router, prefix=PREFIX)
    return app
