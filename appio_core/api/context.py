"""What every route needs: the database, the key box, the settings, and the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
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


def api_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


# The key travels as «Authorization: Bearer …»; the OpenAPI document says so, and a missing
# header is the core's 401 (in the audit log), not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="La chiave dell'integrazione.")


def request_name(request: Request) -> str:
    """The request as the audit log names it: «POST /api/v1/notifications»."""
    return f"{request.method} {request.url.path}"[:200]


def caller_with(scope: Scope | None) -> Callable[..., Caller]:
    """A dependency: the key's integration, when it holds `scope` (None: any key that
    holds) and is within its rate."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Caller:
        context = api_context(request)
        key = credentials.credentials if credentials else None
        origin = f"API da {request.client.host}" if request.client else "API"
        with session_scope(context.sessions) as session:
            caller = authenticate_key(session, key, request_name(request), origin)
            if scope is not None:
                require_scope(session, caller, scope, request_name(request))
        wait = context.limiter.take(caller.integration_id)
        if wait:
            raise RateLimited(wait)
        return caller

    return dependency
