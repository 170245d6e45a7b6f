"""Shared fixtures: a freshly migrated database per test, on SQLite and on PostgreSQL.

Tests that take `db_url` (or anything built on it) run once on SQLite and, when
APPIO_TEST_POSTGRES_URL is set, once more on PostgreSQL. The PostgreSQL parameter is
simply not generated without that variable, so nothing is silently skipped; CI sets it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import appio_core.audit.models  # (its table in Base.metadata: truncated too)
import appio_core.integrations.models  # (the API's keys)
import appio_core.notifications.stats.models  # (the summaries: truncated too)
import appio_core.storage.runtime_models  # (sign-ins, manage key, workers' tables: too)
import appio_core.templates.models  # (theirs too)
import appio_core.webhooks.models  # noqa: F401  (the integrations' webhook events)
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import Role
from appio_core.storage.db import make_engine, make_sessionmaker
from appio_core.storage.migrate import upgrade
from appio_core.storage.models import Base

POSTGRES_URL = os.environ.get("APPIO_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
TEST_SECRET_KEY = Fernet.generate_key().decode()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends(*names): run only on these database backends (sqlite, postgres)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        wanted = [b for b in BACKENDS if marker is None or b in marker.args]
        metafunc.parametrize("backend", wanted, scope="session")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of its own for this test session, migrated once, dropped at the end."""
    assert POSTGRES_URL, "APPIO_TEST_POSTGRES_URL is not set"
    name = f"appio_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "appio.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def keybox() -> KeyBox:
    return KeyBox(TEST_SECRET_KEY)


@pytest.fixture
def admin() -> Actor:
    return Actor.system()


@pytest.fixture
def app_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The environment the app and the CLI read, pointed at the test database."""
    monkeypatch.setenv("APPIO_DATABASE_URL", db_url)
    monkeypatch.setenv("APPIO_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("APPIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APPIO_IO_BASE_URL", "simulator")
    monkeypatch.setenv("APPIO_START_WORKER", "0")
    return db_url


@pytest.fixture
def make_actor(session: Session) -> Callable[[str, Role], Actor]:
    """Creates an operator in the database and returns them as the acting identity."""
    from appio_core.accounts.operators import create_operator

    def make(username: str, role: Role) -> Actor:
        operator = create_operator(session, Actor.system(), username, "password-1234", role)
        return Actor.of(operator)

    return make
