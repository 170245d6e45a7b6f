"""AppTest tests of «Stato del sistema» (administrators only): workers, leases, accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.operators import create_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import ServiceInput, create_service
from appio_core.domain import Role
from appio_core.italian import local_time_seconds
from appio_core.storage.models import IoAccount, utcnow
from appio_core.storage.runtime_models import AccountLease, AccountRequestCount, WorkerHeartbeat

from .apptest import app_as

PAGE = "pages/sistema.py"


@pytest.fixture
def people(app_env: str, sessions: sessionmaker[Session]) -> dict[str, Actor]:
    admin = Actor.system()
    with sessions.begin() as session:
        created = {
            "admin": create_operator(session, admin, "capo", "password-123", Role.ADMIN, "Capo"),
            "operator": create_operator(
                session, admin, "mrossi", "password-123", Role.OPERATOR, "Mario Rossi"
            ),
        }
        return {name: Actor.of(op) for name, op in created.items()}


def test_the_page_is_in_the_navigation_of_administrators_only(people: dict[str, Actor]) -> None:
    at = app_as(people["admin"], PAGE)
    assert at.title[0].value == "Stato del sistema"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as(people["operator"], PAGE)


def test_without_workers_the_page_says_that_flows_do_not_start(people: dict[str, Actor]) -> None:
    at = app_as(people["admin"], PAGE)
    assert "Nessun worker ha mai dato segnali" in at.warning[0].value


def test_the_page_shows_workers_leases_and_each_accounts_rate_against_its_limit(
    people: dict[str, Actor], sessions: sessionmaker[Session], keybox: KeyBox
) -> None:
    now = utcnow()
    with sessions.begin() as session:
        create_service(
            session,
            Actor.system(),
            ServiceInput("Tributi", "01JTRIB", "primary-key-1234", account="comune-a"),
            keybox,
        )
        account = session.query(IoAccount).filter_by(name="comune-a").one()
        session.add_all(
            [
                WorkerHeartbeat(
                    worker_id="srv-101-abc",
                    host="srv",
                    pid=101,
                    started_at=now - timedelta(hours=2),
                    last_seen_at=now,
                    alive_until=now + timedelta(seconds=30),
                    accounts=str(account.id),
                ),
                WorkerHeartbeat(
                    worker_id="srv-102-def",
                    host="srv",
                    pid=102,
                    started_at=now - timedelta(hours=2),
                    last_seen_at=now - timedelta(minutes=3),
                    alive_until=now - timedelta(minutes=2, seconds=30),
                    accounts="",
                ),
                AccountLease(
                    account_id=account.id,
                    owner="srv-101-abc",
                    expires_at=now + timedelta(seconds=25),
                ),
                AccountRequestCount(
                    account_id=account.id,
                    minute=now.replace(second=0, microsecond=0),
                    requests=4000,
                    throttled=4,
                ),
            ]
        )
        expires = now + timedelta(seconds=25)
    at = app_as(people["admin"], PAGE)
    assert "1 worker non danno segnali" in at.warning[0].value
    # In the page's order: workers, leases, accounts.
    workers, leases, accounts = (frame.value for frame in at.dataframe)
    assert list(workers["Stato"]) == ["Attivo", "Silenzioso"]
    assert list(workers["Account IO"]) == ["comune-a", "nessuno"]
    assert workers["Ultimo segnale"][0] == local_time_seconds(now)
    lease = leases.iloc[0]
    assert (lease["Account IO"], lease["Assegnato a"], lease["Stato"]) == (
        "comune-a",
        "srv-101-abc",
        "Valido",
    )
    assert lease["Fino a"] == local_time_seconds(expires)  # Europe/Rome
    row = accounts.iloc[0]
    assert row["Limite"] == "150 richieste ogni 5 s"
    assert row["Limite al secondo"] == "30,0"
    assert row["Risposte 429 nell'ultima ora"] == "4 su 4.000 (0,10%)"
    assert row["Quota usata"].endswith("%")
    assert row["Da inviare"] == "0"
