"""The API against its own OpenAPI document (schemathesis): with a valid key, whatever a
client sends within (and around) the schema, no answer is a 5xx and every answer matches
the schema documented for it (status, content type, headers, body)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session, sessionmaker

from appio_core.api.app import create_app
from appio_core.api.limits import RateLimiter
from appio_core.config import load_settings
from appio_core.integrations.keys import CreatedIntegration
from tests.api.conftest import MENSA, TARI, bearer

# What the contract promises. Not schemathesis's checks of business acceptance
# (positive_data_acceptance): a codice fiscale can match the schema's string and still be
# refused by its check digit, with a documented 422.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 30  # per operation


@pytest.fixture
def api_app(app_env: str, sessions: sessionmaker[Session]) -> FastAPI:
    return create_app(load_settings(), sessions=sessions, limiter=RateLimiter(10_000, 10_000))


@pytest.fixture
def api_key(make_integration: Callable[..., CreatedIntegration]) -> str:
    return make_integration(service_names=(TARI.name, MENSA.name)).key


def test_every_answer_matches_the_published_document(api_app: FastAPI, api_key: str) -> None:
    """Every operation of the document in turn, each with its own examples (schemathesis's
    pytest plugin cannot take this suite's parametrized database fixture)."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=bearer(api_key), checks=CHECKS)

        check()
