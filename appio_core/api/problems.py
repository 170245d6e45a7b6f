"""Errors as RFC 9457 problem details (`application/problem+json`), in Italian.

Every refusal of the core (AppError) and every schema error of a request becomes one
problem; a schema error names each field and what is wrong with it, as the forms do.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from appio_core.api.known_keys import KnownKeys
from appio_core.errors import (
    AppError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthorized,
)
from appio_core.notifications.content import FieldErrors

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"

TITLES: dict[int, str] = {
    400: "Richiesta non valida",
    401: "Chiave mancante o non valida",
    403: "Operazione non permessa",
    404: "Non trovato",
    405: "Metodo non permesso",
    406: "Formato di risposta non disponibile",
    409: "Conflitto",
    413: "Richiesta troppo grande",
    415: "Formato della richiesta non supportato",
    422: "Dati non validi",
    429: "Troppe richieste",
    500: "Errore interno",
    503: "Servizio non disponibile",
}


class RateLimited(AppError):
    """A key over its rate: 429 with Retry-After."""

    code = "troppe_richieste"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Troppe richieste con questa chiave: riprova tra {retry_after} secondi.")
        self.retry_after = retry_after


class FieldProblem(BaseModel):
    field: str  # the field's name as in the request («fiscal_code», «body.subject»)
    message: str  # what is wrong, in Italian


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


def problem_response(
    status: int,
    detail: str,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(title=TITLES.get(status, "Errore"), status=status, detail=detail)
    if errors:
        problem.errors = errors
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_TYPE,
        headers=headers,
    )


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problems a route may answer, for its OpenAPI document (`responses=`)."""
    return {
        status: {
            "model": Problem,
            "description": TITLES.get(status, "Errore"),
            "content": {PROBLEM_TYPE: {}},
        }
        for status in statuses
    }


# Every route may answer these: no key (401), a key without the scope (403), too many
# requests (429), a body over the limit (413), a schema error (422).
COMMON = (401, 403, 413, 422, 429)

# pydantic's error types in the operators' words (the API's users read them in logs).
_MESSAGES: dict[str, str] = {
    "missing": "campo obbligatorio mancante",
    "extra_forbidden": "campo non previsto: toglilo",
    "string_type": "deve essere un testo",
    "string_too_short": "è troppo corto",
    "string_too_long": "è troppo lungo",
    "string_pattern_mismatch": "non ha il formato atteso",
    "int_type": "deve essere un numero intero",
    "int_parsing": "deve essere un numero intero",
    "int_from_float": "deve essere un numero intero",
    "bool_type": "deve essere true o false",
    "bool_parsing": "deve essere true o false",
    "greater_than_equal": "è troppo piccolo",
    "greater_than": "è troppo piccolo",
    "less_than_equal": "è troppo grande",
    "less_than": "è troppo grande",
    "enum": "non è uno dei valori ammessi",
    "literal_error": "non è uno dei valori ammessi",
    "date_from_datetime_parsing": "deve essere una data ISO 8601 (aaaa-mm-gg)",
    "date_parsing": "deve essere una data ISO 8601 (aaaa-mm-gg)",
    "date_type": "deve essere una data ISO 8601 (aaaa-mm-gg)",
    "datetime_parsing": "deve essere una data e ora ISO 8601",
    "datetime_from_date_parsing": "deve essere una data e ora ISO 8601",
    "datetime_type": "deve essere una data e ora ISO 8601",
    "model_type": "deve essere un oggetto JSON",
    "model_attributes_type": "deve essere un oggetto JSON",
    "dict_type": "deve essere un oggetto JSON",
    "list_type": "deve essere una lista",
    "too_short": "ha troppo pochi elementi",
    "too_long": "ha troppi elementi",
    "json_invalid": "il corpo non è JSON valido",
    "value_error": "valore non valido",
    "uuid_parsing": "non ha il formato atteso",
}


def _field(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(location[0] if location else "corpo")


def field_problems(exc: RequestValidationError) -> list[FieldProblem]:
    problems = []
    for error in exc.errors():
        kind = str(error.get("type", ""))
        message = _MESSAGES.get(kind, "valore non valido")
        if kind == "value_error" and isinstance(error.get("ctx", {}).get("error"), ValueError):
            # Our own validators' refusals (RequestModel), already in Italian.
            message = str(error["ctx"]["error"])
        problems.append(FieldProblem(field=_field(tuple(error.get("loc", ()))), message=message))
    return problems


def _status_of(exc: AppError) -> int:
    if isinstance(exc, Unauthorized):
        return 401
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, InvalidInput):
        return 422
    return 422


def install(app: FastAPI) -> None:
    """Every error the API answers, as a problem."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_problems(exc)
        lines = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return problem_response(422, f"Correggi i campi indicati: {lines}", errors)

    @app.exception_handler(FieldErrors)
    async def _fields(request: Request, exc: FieldErrors) -> JSONResponse:
        errors = [FieldProblem(field=f, message=m) for f, m in exc.fields.items()]
        return problem_response(422, exc.message, errors)

    @app.exception_handler(AppError)
    async def _refused(request: Request, exc: AppError) -> JSONResponse:
        if isinstance(exc, RateLimited):
            return problem_response(429, exc.message, headers={"Retry-After": str(exc.retry_after)})
        challenge = None
        if isinstance(exc, Unauthorized):
            challenge = {"WWW-Authenticate": "Bearer"}
            # Revoked since this process knew it: the next request is checked in full.
            known: KnownKeys = request.app.state.context.known_keys
            known.forget_bearer(request.headers.get("authorization", ""))
        return problem_response(_status_of(exc), exc.message, headers=challenge)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "Indirizzo inesistente: vedi /api/v1/docs."
        elif exc.status_code == 405:
            detail = "Metodo non permesso su questo indirizzo: vedi /api/v1/docs."
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(exc.status_code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API: unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            500, "Errore interno imprevisto: riprova; se si ripete, avvisa l'assistenza."
        )
