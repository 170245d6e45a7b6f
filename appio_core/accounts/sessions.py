"""Server-side sessions of the web app: the browser keeps a random token (a cookie), the
database keeps the token's SHA-256 and how long it is good for.

A session ends at «Esci», after `idle` without a click, after `lifetime` whatever happens,
and when the operator is disabled or changes his password (every one of his sessions).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from appio_core.audit.models import ORIGIN_LENGTH
from appio_core.storage.models import Operator, utcnow
from appio_core.storage.runtime_models import OperatorSession

# A click refreshes the session's last use at most this often: not a write per click.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    lifetime: timedelta

    @classmethod
    def of(cls, idle_minutes: int, max_hours: int) -> SessionPolicy:
        return cls(timedelta(minutes=idle_minutes), timedelta(hours=max_hours))


def token_hash(token: str) -> str:
    # A plain hash suffices: the token is 256 random bits, not a guessable password.
    return hashlib.sha256(token.encode()).hexdigest()


# Ended sessions are kept this long (who was signed in when), then removed at a login.
KEEP_ENDED = timedelta(days=30)


def open_session(
    session: Session,
    operator_id: int,
    policy: SessionPolicy,
    origin: str | None = None,
    now: datetime | None = None,
) -> str:
    """A new session for the operator; returns the token for the browser (never stored)."""
    now = now or utcnow()
    _purge_ended(session, now - KEEP_ENDED)
    token = secrets.token_urlsafe(32)
    session.add(
        OperatorSession(
            operator_id=operator_id,
            token_hash=token_hash(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.lifetime,
            origin=(origin or "")[:ORIGIN_LENGTH],
        )
    )
    session.flush()
    return token


def resume(
    session: Session, token: str, policy: SessionPolicy, now: datetime | None = None
) -> Operator | None:
    """The active operator the token signs in, or None (unknown, revoked, expired, idle too
    long, or the operator disabled). A good token's last use becomes now."""
    now = now or utcnow()
    row = session.scalar(
        select(OperatorSession).where(OperatorSession.token_hash == token_hash(token))
    )
    if row is None or row.revoked_at is not None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= policy.idle:
        row.revoked_at = now  # expired: never good again, even if the settings change
        return None
    operator = session.get(Operator, row.operator_id)
    if operator is None or not operator.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return operator


def revoke(session: Session, token: str, now: datetime | None = None) -> None:
    """Ends one session («Esci»)."""
    session.execute(
        update(OperatorSession)
        .where(
            OperatorSession.token_hash == token_hash(token), OperatorSession.revoked_at.is_(None)
        )
        .values(revoked_at=now or utcnow())
    )


def revoke_all(
    session: Session, operator_id: int, *, keep: str | None = None, now: datetime | None = None
) -> int:
    """Ends every session of the operator (but the one whose token is `keep`); how many."""
    stmt = update(OperatorSession).where(
        OperatorSession.operator_id == operator_id, OperatorSession.revoked_at.is_(None)
    )
    if keep is not None:
        stmt = stmt.where(OperatorSession.token_hash != token_hash(keep))
    result = session.execute(stmt.values(revoked_at=now or utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def _purge_ended(session: Session, before: datetime) -> None:
    session.execute(
        delete(OperatorSession).where(
            or_(OperatorSession.expires_at < before, OperatorSession.revoked_at < before)
        )
    )
