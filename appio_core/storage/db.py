"""Engine creation and the transaction boundary.

Repository functions take a `Session` and never commit: the caller (a page action,
a CLI command, a worker batch) owns the transaction through `session_scope`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from appio_core.config import owner_only, private_dir
from appio_core.storage.partial_index import for_postgresql


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            _private_database_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    if engine.dialect.name == "postgresql":
        for_postgresql()  # the models' partial indexes, as PostgreSQL declares them
    return engine


def _private_database_file(path: Path) -> None:
    """The SQLite file (and its WAL files) readable only by its owner: it holds citizens'
    data. Created empty (a valid empty database) with that mode, so that it never exists
    readable by others, in a directory created private."""
    if not path.parent.exists():
        private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return  # not ours to create (read-only place...): SQLite will say what is wrong
    for name in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        owner_only(name)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the Streamlit pages read while the worker writes; foreign keys are off by
    # default in SQLite and the schema relies on them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE (the typed Result hides the cursor's count)."""
    return cast(CursorResult[Any], result).rowcount


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def engine_of(sessions: sessionmaker[Session]) -> Engine:
    """The engine the sessions are bound to: for the hot paths that run Core statements in
    a plain transaction (`engine.begin()`), a third of a session's overhead."""
    bind = sessions.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def session_engine(session: Session) -> Engine:
    """The engine under a session, for work in transactions of its own (the shared budget
    of an IO account books each request apart from the caller's transaction)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


# Where Core statements run: a session (the ORM's transaction) or a plain connection.
Executor = Session | Connection


def connection_of(db: Executor) -> Connection:
    return db if isinstance(db, Connection) else db.connection()


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
