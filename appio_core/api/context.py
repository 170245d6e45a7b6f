"""What every route needs: the database, the key box, the settings, and the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from appio_core.accounts.security import KeyBox
from appio_core.api.known_keys import KnownKeys
from appio_core.api.limits import RateLimiter
from appio_core.api.problems import RateLimited
from appio_core.config import Settings
from appio_core.integrations.keys import Caller, authenticate_key, require_scope
from appio_core.integrations.scopes import Scope
from appio_core.storage.db import session_scope


@dataclass(frozen=True)
class ApiContext:
    settings: Settings
    sessions: sessionmaker[Session]
    box: KeyBox
    limiter: RateLimiter
    known_keys: KnownKeys = field(default_factory=KnownKeys)


def api_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


# The key travels as «Authorization: Bearer …»; the OpenAPI document says so, and a missing
# header is the core's 401 (in the audit log), not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="La chiave dell'integrazione.")


def request_name(request: Request) -> str:
    """The request as the audit log names it: «POST /api/v1/notifications»."""
    return f"{request.method} {request.url.path}"[:200]


def caller_with(scope: Scope | None) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the key's integration, when it holds `scope` (None: any key that
    holds) and is within its rate. A key found valid a moment ago is not read again
    (known_keys.py); else the check runs in a thread, in a transaction of its own."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Caller:
        context = api_context(request)
        key = credentials.credentials if credentials else None
        origin = f"API da {request.client.host}" if request.client else "API"
        caller = context.known_keys.caller(key, origin) if key else None
        if caller is None:
            caller = await run_in_threadpool(_authenticated, context, key, request, origin)
            assert key is not None  # authenticate_key refuses a missing key
            context.known_keys.remember(key, caller)
        if scope is not None and scope not in caller.scopes:
            await run_in_threadpool(_refuse_scope, context, caller, scope, request)
        wait = context.limiter.take(caller.integration_id)
        if wait:
            raise RateLimited(wait)
        return caller

    return dependency


def _authenticated(context: ApiContext, key: str | None, request: Request, origin: str) -> Caller:
    with session_scope(context.sessions) as session:
        return authenticate_key(session, key, request_name(request), origin)


def _refuse_scope(context: ApiContext, caller: Caller, scope: Scope, request: Request) -> None:
    with session_scope(context.sessions) as session:
        require_scope(session, caller, scope, request_name(request))
