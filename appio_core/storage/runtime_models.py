"""The tables of the running installation rather than of its messages: the operators'
sign-ins (sessions, failed logins), the ente's IO manage key, and the workers' coordination
(the accounts' leases and shared budgets, the heartbeats, the requests counted per minute).

Apart from models.py, on the same Base and metadata, so that a process that only reads flows
and messages (`appio flow status`, `appio notification show`, called by scripts in a loop)
neither declares these classes nor configures their mappers: about 5 % of its start
(bench/RESULTS-cli.md, third pass). Whatever needs the whole schema (migrations/env.py,
tests/conftest.py) imports this module with the other packages' models.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, Double, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from appio_core.storage.models import Base, UTCDateTime


class OperatorSession(Base):
    """A signed-in browser. The browser holds a random token; only its SHA-256 is kept, so
    that a copy of the database signs nobody in. Revoked at «Esci», when the operator is
    disabled or changes his password; expired after the idle time or the lifetime."""

    __tablename__ = "operator_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    origin: Mapped[str] = mapped_column(String(200), default="")


class LoginThrottle(Base):
    """Failed logins in a row for one username or one client address ("utente:mrossi",
    "indirizzo:198.51.100.4"): they slow the next attempt down, then lock the key."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Institution(Base):
    """The ente this installation sends for: one row (id 1). Its IO *manage* key lists the
    ente's services on IO, reads their keys and regenerates them; stored like the services'
    keys (encrypted, the last 4 characters in clear to show it masked)."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    manage_key_encrypted: Mapped[str | None] = mapped_column(String(500), nullable=True)
    manage_key_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    manage_key_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    manage_key_set_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AccountLease(Base):
    """Which worker sends for an IO account now (see appio_core.sending.dispatcher for why)."""

    __tablename__ = "account_leases"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("io_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AccountBudget(Base):
    """An IO account's limit shared by every process: the bookings of the calls made outside
    the worker and the worker's presence (see appio_core.io.budget for the rules). Times
    are wall-clock seconds, the arithmetic of the pacing."""

    __tablename__ = "account_budgets"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("io_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tat: Mapped[float] = mapped_column(Double, default=0.0)
    last_slot: Mapped[float] = mapped_column(Double, default=0.0)
    warm_from: Mapped[float] = mapped_column(Double, default=0.0)
    early: Mapped[int] = mapped_column(Integer, default=0)
    worker_until: Mapped[float] = mapped_column(Double, default=0.0)
    reserve: Mapped[int] = mapped_column(Integer, default=0)
    bookings: Mapped[int] = mapped_column(BigInteger, default=0)
    bucket: Mapped[int] = mapped_column(BigInteger, default=0)
    count: Mapped[int] = mapped_column(Integer, default=0)
    previous: Mapped[int] = mapped_column(Integer, default=0)


class WorkerHeartbeat(Base):
    """A worker process, as it last reported itself: for «Stato del sistema» and for the
    fair share of the accounts (the workers alive are those whose `alive_until` is ahead)."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # last_seen_at plus the worker's lease time: silent past it, the worker is gone (its
    # leases have expired by then too).
    alive_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The IO accounts it held at its last heartbeat, ids separated by commas.
    accounts: Mapped[str] = mapped_column(String(1000), default="")


class AccountRequestCount(Base):
    """Requests a worker made to IO for an account, and IO's 429s, per minute."""

    __tablename__ = "account_request_counts"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("io_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    throttled: Mapped[int] = mapped_column(Integer, default=0)


ACCOUNT_LEASES = cast(Table, AccountLease.__table__)
ACCOUNT_BUDGETS = cast(Table, AccountBudget.__table__)
