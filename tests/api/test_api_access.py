"""Who may call the API: keys (401), services and scopes (403), the rate (429), the body's
size (413), problems in Italian, and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.api.limits import RateLimiter
from appio_core.audit.models import AuditEntry
from appio_core.integrations.keys import CreatedIntegration, revoke_integration
from appio_core.integrations.models import Integration
from appio_core.integrations.scopes import Scope
from appio_core.storage.models import utcnow
from tests.api.conftest import MENSA, TARI, bearer

PROBLEM = "application/problem+json"


def test_a_key_lists_only_its_services(
    client: TestClient, make_integration: Callable[..., CreatedIntegration]
) -> None:
    made = make_integration()
    answer = client.get("/api/v1/services", headers=bearer(made.key))
    assert answer.status_code == 200
    assert [s["name"] for s in answer.json()] == [TARI.name]
    assert MENSA.name not in answer.text


@pytest.mark.parametrize("header", [None, "Bearer appio_sbagliata", "Basic dXNlcjpwdw=="])
def test_a_missing_or_wrong_key_is_401_in_italian_and_in_the_audit_log(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
    header: str | None,
) -> None:
    make_integration()
    headers = {"Authorization": header} if header else {}
    answer = client.get("/api/v1/services", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.headers["www-authenticate"] == "Bearer"
    body = answer.json()
    assert body["status"] == 401 and "chiave" in body["detail"].lower()
    with sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "api.refused")
        ).all()
    assert [e.target for e in entries] == ["GET /api/v1/services"]


def test_a_revoked_or_expired_key_is_401(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
) -> None:
    revoked = make_integration("Revocata")
    expired = make_integration("Scaduta")
    with sessions.begin() as session:
        revoke_integration(session, Actor.system(), "Revocata")
        session.get_one(Integration, expired.id).expires_at = utcnow()
    for made, word in ((revoked, "revocata"), (expired, "scaduta")):
        answer = client.get("/api/v1/services", headers=bearer(made.key))
        assert answer.status_code == 401
        assert word in answer.json()["detail"]


def _refusals(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == "api.refused")
            ).all()
        )


@pytest.mark.parametrize("path", ["/api/v1/services", "/api/v1/notifications"])
def test_a_key_revoked_while_the_api_knows_it_is_401_at_once_then_logged(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
    path: str,
) -> None:
    """The API does not read a key it found valid a moment ago (known_keys.py): the core's
    check of each action refuses it as soon as it is revoked."""
    made = make_integration()
    assert client.get(path, headers=bearer(made.key)).status_code == 200  # now known
    with sessions.begin() as session:
        revoke_integration(session, Actor.system(), made.name)
    first = client.get(path, headers=bearer(made.key))
    assert first.status_code == 401 and "revocata" in first.json()["detail"]
    assert first.headers["www-authenticate"] == "Bearer"
    # Forgotten: the next request is checked in full, refused and logged as a wrong key is.
    second = client.get(path, headers=bearer(made.key))
    assert second.status_code == 401 and "revocata" in second.json()["detail"]
    assert any("revocata" in detail for detail in _refusals(sessions))


def test_a_key_that_expires_while_the_api_knows_it_is_401(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
) -> None:
    soon = utcnow() + timedelta(seconds=2)
    made = make_integration()
    with sessions.begin() as session:
        session.get_one(Integration, made.id).expires_at = soon
    assert client.get("/api/v1/services", headers=bearer(made.key)).status_code == 200
    known = client.app.state.context.known_keys  # type: ignore[attr-defined]
    assert known.caller(made.key, "API", now=soon - timedelta(seconds=1)) is not None
    assert known.caller(made.key, "API", now=soon) is None  # expired: checked in full
    with sessions.begin() as session:
        session.get_one(Integration, made.id).expires_at = utcnow()
    answer = client.get("/api/v1/services", headers=bearer(made.key))
    assert answer.status_code == 401 and "scaduta" in answer.json()["detail"]


def test_a_known_key_is_read_again_after_a_while_and_keeps_its_own_origin() -> None:
    from appio_core.api.known_keys import KnownKeys
    from appio_core.integrations.keys import Caller

    caller = Caller(Actor.of_integration(7, "Tributi", "API da 10.0.0.1"), 7, frozenset())
    known = KnownKeys(known_for=60)
    known.remember("appio_chiave", caller)
    again = known.caller("appio_chiave", "API da 10.0.0.2")
    assert again is not None and again.actor.origin == "API da 10.0.0.2"
    assert again.actor == caller.actor and again.integration_id == 7
    assert known.caller("appio_altra", "API") is None
    known.forget_bearer("Bearer appio_chiave")
    assert known.caller("appio_chiave", "API") is None
    stale = KnownKeys(known_for=0)
    stale.remember("appio_chiave", caller)
    assert stale.caller("appio_chiave", "API") is None


def test_a_key_notes_its_last_use(
    client: TestClient,
    make_integration: Callable[..., CreatedIntegration],
    sessions: sessionmaker[Session],
) -> None:
    made = make_integration()
    client.get("/api/v1/services", headers=bearer(made.key))
    with sessions() as session:
        assert session.get_one(Integration, made.id).last_used_at is not None


def test_a_key_over_its_rate_gets_429_with_retry_after(
    app_env: str,
    sessions: sessionmaker[Session],
    make_integration: Callable[..., CreatedIntegration],
) -> None:
    from appio_core.api.app import create_app
    from appio_core.config import load_settings

    made = make_integration()
    other = make_integration("Anagrafe")
    app = create_app(load_settings(), sessions, RateLimiter(per_second=1, burst=3))
    with TestClient(app) as client:
        codes = [
            client.get("/api/v1/services", headers=bearer(made.key)).status_code for _ in range(5)
        ]
        assert codes == [200, 200, 200, 429, 429]
        refused = client.get("/api/v1/services", headers=bearer(made.key))
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"].startswith(PROBLEM)
        # Each key has its own rate.
        assert client.get("/api/v1/services", headers=bearer(other.key)).status_code == 200


def test_the_rate_limiter_refills_over_time() -> None:
    limiter = RateLimiter(per_second=2, burst=2)
    assert [limiter.take(1, now=0.0) for _ in range(3)] == [0, 0, 1]
    assert limiter.take(1, now=0.5) == 0


def test_a_body_over_the_limit_is_413_before_it_is_read(
    client: TestClient, make_integration: Callable[..., CreatedIntegration]
) -> None:
    made = make_integration()
    answer = client.post(
        "/api/v1/services",
        content=b"x" * (1024 * 1024 + 1),
        headers={**bearer(made.key), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert "1 MB" in answer.json()["detail"]


def test_an_unknown_address_is_a_problem_in_italian(client: TestClient) -> None:
    answer = client.get("/api/v1/nulla")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert "Indirizzo inesistente" in answer.json()["detail"]


def test_the_openapi_document_is_3_1_with_the_bearer_key(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert client.get("/api/v1/docs").status_code == 200


def test_scope_names_and_labels_are_stable() -> None:
    assert {s.value for s in Scope} == {
        "notifications:send",
        "notifications:read",
        "flows:manage",
        "flows:read",
    }


def test_numbers_beyond_the_databases_integers_are_refused_not_a_crash(
    client: TestClient, make_integration: Callable[..., CreatedIntegration]
) -> None:
    """Found by schemathesis: an id above 2**63 made SQLite raise OverflowError (a 500)."""
    key = bearer(make_integration().key)
    huge = 2**63
    assert client.get(f"/api/v1/notifications/{huge}", headers=key).status_code == 422
    assert client.get(f"/api/v1/flows/{huge}", headers=key).status_code == 422
    answer = client.post(
        "/api/v1/notifications",
        headers={**key, "Idempotency-Key": "k-1"},
        json={"service_id": huge, "fiscal_code": "x", "subject": "x", "markdown": "x"},
    )
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} >= {"service_id"}
    # Found next on PostgreSQL: services, flows and templates have 32-bit ids there.
    beyond = 2**31
    assert client.get(f"/api/v1/flows/{beyond}", headers=key).status_code == 422
    answer = client.post(
        "/api/v1/notifications",
        headers={**key, "Idempotency-Key": "k-2"},
        json={"service_id": beyond, "fiscal_code": "x", "template": beyond},
    )
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} >= {"service_id", "template"}


def test_a_nul_character_or_a_day_out_of_range_is_422_not_a_crash(
    client: TestClient, make_integration: Callable[..., CreatedIntegration]
) -> None:
    """Found by schemathesis on PostgreSQL, whose text cannot hold a NUL and whose dates
    end at year 1: both were 500s."""
    key = bearer(make_integration().key)
    for query in ("service=%00", "sent_from=0001-01-01", "fiscal_code=a%00b", "cursor=%C2%B2"):
        answer = client.get(f"/api/v1/notifications?{query}", headers=key)
        assert answer.status_code == 422, query
        assert answer.headers["content-type"].startswith(PROBLEM)
    # «²» is a digit to str.isdigit(), not to int(): a flow named so, not a crash.
    for flow in ("%C2%B2", str(2**31)):
        assert client.get(f"/api/v1/notifications?flow={flow}", headers=key).status_code == 200
    answer = client.post(
        "/api/v1/notifications",
        headers={**key, "Idempotency-Key": "k-nul"},
        json={"service_name": "\x00", "fiscal_code": "x", "subject": "x", "markdown": "x"},
    )
    assert answer.status_code == 422
    assert "NUL" in answer.json()["detail"]
