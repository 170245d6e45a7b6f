"""Partial indexes (an index on the rows matching a predicate), declared once for SQLite and
PostgreSQL.

Why not `Index(..., sqlite_where=..., postgresql_where=...)`: SQLAlchemy validates each
dialect's keyword arguments when the Index is built, by importing that dialect, and its
PostgreSQL package (every driver's module with it) costs about 0.13 s, a quarter of what
`appio flow status` spends on an installation on SQLite, the default one, which never uses it.
So the predicate is written once, here: SQLite gets it when the index is declared (its
dialect is loaded by every process on SQLite, and costs little), PostgreSQL when
`make_engine` makes an engine on it (`for_postgresql`), or at once when its dialect is
already loaded. The databases' indexes come from the migrations either way: the models'
predicates serve Alembic's autogenerate, and tests/test_migrations.py checks them against
the migrated databases.
"""

from __future__ import annotations

import sys

from sqlalchemy import Index, text

_POSTGRESQL_DIALECT = "sqlalchemy.dialects.postgresql"

# The partial indexes declared before PostgreSQL's dialect was loaded, with their predicate.
_WITHOUT_POSTGRESQL: list[tuple[Index, str]] = []


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of `columns` on the rows where `where` (SQL, the same on both databases)."""
    index = Index(name, *columns, unique=unique, sqlite_where=text(where))
    if _POSTGRESQL_DIALECT in sys.modules:
        _give_postgresql(index, where)
    else:
        _WITHOUT_POSTGRESQL.append((index, where))
    return index


def for_postgresql() -> None:
    """Give PostgreSQL the predicates of the partial indexes declared so far (an engine on
    PostgreSQL is being made: its dialect is loaded, the later ones get theirs at once)."""
    while _WITHOUT_POSTGRESQL:
        _give_postgresql(*_WITHOUT_POSTGRESQL.pop())


def _give_postgresql(index: Index, where: str) -> None:
    # The documented place of `postgresql_where` once the Index exists (dialect_options).
    index.dialect_options["postgresql"]["where"] = text(where)
