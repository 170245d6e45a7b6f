"""The statements of the shared budget (`account_budgets`; the rules are in budget.py).

Every change takes the row's lock with its first statement, an UPDATE: a row lock on
PostgreSQL (what SELECT ... FOR UPDATE would take), the database's write lock on SQLite
(whose transactions begin at their first write: a SELECT first would read outside it).
The clock is read once the lock is held, so that bookings are stamped in the order
they are made. The worker's frequent look is a plain read; it writes only to renew its
presence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from appio_core.io import budget
from appio_core.io.budget import BudgetRow, Quota
from appio_core.io.rate_limit import ReserveReading
from appio_core.storage.runtime_models import ACCOUNT_BUDGETS

Clock = Callable[[], float]

_T = ACCOUNT_BUDGETS.c
_FIELDS = tuple(field.name for field in fields(BudgetRow))
_COLUMNS = [_T[name] for name in _FIELDS]
_MINE = _T.account_id == bindparam("b_account_id")
_READ = select(*_COLUMNS).where(_MINE)
# A write that changes nothing, for its lock, and the row as it is then.
_LOCK = update(ACCOUNT_BUDGETS).where(_MINE).values(bookings=_T.bookings).returning(*_COLUMNS)
_WRITE = (
    update(ACCOUNT_BUDGETS).where(_MINE).values({c: bindparam(f"b_{c.name}") for c in _COLUMNS})
)


def _locked(connection: Connection, account_id: int) -> BudgetRow:
    """The account's row, locked until the end of the transaction (created if missing)."""
    params = {"b_account_id": account_id}
    found = connection.execute(_LOCK, params).first()
    if found is None:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        created = dialect.insert(ACCOUNT_BUDGETS).values(account_id=account_id)
        connection.execute(created.on_conflict_do_nothing(index_elements=["account_id"]))
        found = connection.execute(_LOCK, params).one()
    return BudgetRow(*found)


def _write(connection: Connection, account_id: int, row: BudgetRow) -> None:
    values = {f"b_{name}": getattr(row, name) for name in _FIELDS}
    connection.execute(_WRITE, {"b_account_id": account_id, **values})


def book(engine: Engine, account_id: int, quota: Quota, clock: Clock) -> float:
    """Books one request of a caller outside the worker; returns its slot (wall clock)."""
    with engine.begin() as connection:
        row = _locked(connection, account_id)
        slot, after = budget.book(row, quota, clock())
        _write(connection, account_id, after)
    return slot


def look(
    engine: Engine, account_id: int, quota: Quota, reserve: int, clock: Clock
) -> ReserveReading:
    """The worker's look at the row: a plain read, unless its presence is due again."""
    with engine.connect() as connection:
        found = connection.execute(_READ, {"b_account_id": account_id}).first()
    if found is not None:
        write, reading = budget.worker_look(BudgetRow(*found), quota, reserve, clock())
        if write is None:
            return reading
    with engine.begin() as connection:
        write, reading = budget.worker_look(
            _locked(connection, account_id), quota, reserve, clock()
        )
        if write is not None:
            _write(connection, account_id, write)
    return reading


def bookings(engine: Engine, account_id: int) -> int:
    """Requests booked on the account so far (0 before the first)."""
    with engine.connect() as connection:
        count = connection.scalar(select(_T.bookings).where(_MINE), {"b_account_id": account_id})
    return int(count or 0)
