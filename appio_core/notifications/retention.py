"""The purge of personal data: after the retention period (APPIO_RETENTION_DAYS) a message
loses its text, its subject (unless it is the flow's, the same for everyone), the file's
other columns and its notice number, and the citizen's codice fiscale becomes a
pseudonym. Its outcome, IO's status, dates, amount and author stay, and so do every
count of the flows and the archive.

The pseudonym is a keyed hash of the codice fiscale (HMAC-SHA256 under a key derived from
the installation's secret key), so the same citizen keeps the same pseudonym on every
row, and nobody without the key can go back to the code. It reads `ps:` and 13 small
letters and digits: never mistaken for a codice fiscale (16 capitals and digits), and as
long, so the column stays as it is. A new secret key (`appio keys rotate`) gives new
pseudonyms to the rows purged after it.

A row is purged once it is over and nothing has happened to it for the retention period:
its outcome is final (or its flow was cancelled), its status is no longer read, and it
was created, sent and last updated before the cutoff. A purged row can no longer be
sent again («esito incerto» can still be marked as sent) nor have its status read. A
row «in invio» is purged only when its flow was cancelled and its last update is past
the cutoff too: claiming a row and starting its send both stamp `updated_at`, so a send
that may be in flight is never touched.

A purge runs three steps, each in transactions of its own:
1. the flows left unfinished and unchanged past the retention are cancelled, each with
   its audit entry (appio_core.flows.stale), so that their rows are over too;
2. the rows due are purged, batch after batch;
3. the audit log's entries older than the retention that name a citizen get his
   pseudonym instead of his codice fiscale (appio_core.audit.personal), the same as his
   purged rows.

The worker purges once a day (appio_core.sending.housekeeping), `appio purge` at will;
each run is in the audit log with what it removed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor, require_admin
from appio_core.accounts.security import secret_keys
from appio_core.audit import AuditAction, AuditOutcome, Who, record, recording
from appio_core.audit.models import AuditEntry
from appio_core.audit.personal import count_entries_due, pseudonymize_batch
from appio_core.content.fiscal_code import PSEUDONYM_PREFIX, is_pseudonym
from appio_core.domain import FINAL_OUTCOMES, FlowState
from appio_core.flows.stale import cancel_stale_flows, count_stale, is_stale
from appio_core.italian import counted, local_time
from appio_core.storage.db import rowcount, session_scope
from appio_core.storage.models import NOTIFICATIONS, Flow, Notification, utcnow

_PSEUDONYM_CHARACTERS = 13  # 65 bits: no two citizens of a region share one
BATCH = 2_000


def _pseudonym_key(secret: str) -> bytes:
    # A key of its own, derived from the installation's (the first of APPIO_SECRET_KEY, the
    # one that encrypts): the Fernet key is not reused as it is.
    first = secret_keys(secret)[0]
    return hashlib.sha256(b"io-flussi pseudonimi v1\0" + first.encode()).digest()


def pseudonym(secret_key: str, fiscal_code: str) -> str:
    """The citizen's pseudonym: the same for the same code, `ps:` and 13 characters."""
    if is_pseudonym(fiscal_code):
        return fiscal_code
    digest = hmac.new(
        _pseudonym_key(secret_key), fiscal_code.strip().upper().encode(), hashlib.sha256
    ).digest()
    return PSEUDONYM_PREFIX + base64.b32encode(digest).decode()[:_PSEUDONYM_CHARACTERS].lower()


@dataclass(frozen=True)
class Retention:
    """The retention setting and the key of the pseudonyms."""

    days: int  # 0: nothing is ever purged
    secret_key: str = field(repr=False)

    @property
    def enabled(self) -> bool:
        return self.days > 0

    def cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.days)


def _due(cutoff: datetime, *, stale_too: bool = False) -> tuple[ColumnElement[bool], ...]:
    """`stale_too`: as if the stale flows were cancelled already (the purge does it first)."""
    n = Notification
    over = Flow.state == FlowState.CANCELLED
    cancelled = select(Flow.id).where((over | is_stale(cutoff)) if stale_too else over)
    return (
        n.purged_at.is_(None),
        n.created_at < cutoff,
        or_(n.sent_at.is_(None), n.sent_at < cutoff),
        or_(n.updated_at.is_(None), n.updated_at < cutoff),
        n.next_status_check_at.is_(None),
        or_(n.outcome.in_(FINAL_OUTCOMES), n.flow_id.in_(cancelled)),
    )


def count_due(session: Session, retention: Retention, now: datetime) -> int:
    """The notifications a purge now would change (`appio purge --dry-run`)."""
    if not retention.enabled:
        return 0
    due = _due(retention.cutoff(now), stale_too=True)
    return session.scalar(select(func.count()).select_from(Notification).where(*due)) or 0


@dataclass(frozen=True)
class PurgePreview:
    """What a purge now would do (`appio purge --dry-run`)."""

    notifications: int
    flows: int  # stale flows it would cancel
    entries: int  # audit entries whose codice fiscale would become a pseudonym


def preview(session: Session, retention: Retention, now: datetime) -> PurgePreview:
    if not retention.enabled:
        return PurgePreview(0, 0, 0)
    cutoff = retention.cutoff(now)
    return PurgePreview(
        count_due(session, retention, now),
        count_stale(session, cutoff),
        count_entries_due(session, cutoff),
    )


def purge_batch(session: Session, retention: Retention, now: datetime, size: int = BATCH) -> int:
    """Purges up to `size` notifications in the caller's transaction; returns how many."""
    rows = session.execute(
        select(
            Notification.id,
            Notification.fiscal_code,
            Notification.subject,
            Notification.error_detail,
            Flow.subject_template,
        )
        .outerjoin(Flow, Flow.id == Notification.flow_id)
        .where(*_due(retention.cutoff(now)))
        .order_by(Notification.id)
        .limit(size)
    ).all()
    if not rows:
        return 0
    key = retention.secret_key
    params = []
    for row_id, code, subject, error_detail, template in rows:
        alias = pseudonym(key, code)
        params.append(
            {
                "row_id": row_id,
                "alias": alias,
                # A flow's subject without placeholders is the same for everyone: kept.
                "kept_subject": subject if template is not None and subject == template else "",
                # IO's reasons may quote the code they were given.
                "detail": error_detail.replace(code, alias) if error_detail else error_detail,
            }
        )
    table = NOTIFICATIONS
    statement = (
        update(table)
        # Twice the same row (two workers): the second finds it purged and leaves it.
        .where(table.c.id == bindparam("row_id"), table.c.purged_at.is_(None))
        .values(
            fiscal_code=bindparam("alias"),
            subject=bindparam("kept_subject"),
            error_detail=bindparam("detail"),
            markdown="",
            extra="{}",
            notice_number=None,
            # A hash of the codice fiscale with the message: guessable from the text. Without
            # it the same form token is refused as «already used», never sent again.
            request_fingerprint=None,
            purged_at=now,
            purge_days=retention.days,
        )
    )
    return rowcount(session.connection().execute(statement, params))


@dataclass(frozen=True)
class PurgeRun:
    purged: int
    cutoff: datetime
    finished: bool  # nothing left to purge (False: stopped after `max_batches`)
    flows: int = 0  # stale flows cancelled
    entries: int = 0  # audit entries whose codice fiscale became a pseudonym

    def then(self, later: PurgeRun) -> PurgeRun:
        """This round and the next one of the same purge, counted together."""
        return PurgeRun(
            self.purged + later.purged,
            later.cutoff,
            later.finished,
            self.flows + later.flows,
            self.entries + later.entries,
        )


def purge(
    sessions: sessionmaker[Session],
    who: Who,
    retention: Retention,
    now: datetime,
    *,
    max_batches: int | None = None,
    size: int = BATCH,
) -> PurgeRun:
    """Cancels the stale flows (their audit entries by `who`), then purges rows and gives
    the audit log's old entries their pseudonyms, batch after batch, each in a
    transaction of its own (short locks, whatever the number of rows), until nothing is
    due or `max_batches` full batches ran."""
    cutoff = retention.cutoff(now)
    with session_scope(sessions) as session:
        flows = cancel_stale_flows(session, who, cutoff, now, retention.days)
    key = retention.secret_key
    steps: tuple[Callable[[Session], int], ...] = (
        lambda session: purge_batch(session, retention, now, size),
        lambda session: pseudonymize_batch(session, cutoff, lambda c: pseudonym(key, c), size),
    )
    done, batches = [0, 0], 0
    for index, step in enumerate(steps):
        while True:
            if max_batches is not None and batches >= max_batches:
                return PurgeRun(done[0], cutoff, False, flows, done[1])
            with session_scope(sessions) as session:
                changed = step(session)
            done[index] += changed
            if changed < size:
                break
            batches += 1
    return PurgeRun(done[0], cutoff, True, flows, done[1])


def record_purge(
    session: Session, who: Who, retention: Retention, run: PurgeRun, at: datetime | None = None
) -> None:
    record(
        session,
        who,
        AuditAction.DATA_PURGE,
        "notifiche",
        detail=purge_detail(retention, run),
        at=at,
    )


def purge_detail(retention: Retention, run: PurgeRun) -> str:
    detail = (
        f"{counted(run.purged, 'notifica ripulita', 'notifiche ripulite')} (testo, oggetto,"
        " colonne del file e numero"
        f" avviso rimossi, codice fiscale sostituito da uno pseudonimo): le concluse senza"
        f" novità dal {local_time(run.cutoff)}; conservazione {retention.days} giorni."
    )
    if run.flows:
        flows = counted(run.flows, "flusso non concluso annullato", "flussi non conclusi annullati")
        detail += f" {flows}: senza modifiche dal {local_time(run.cutoff)}."
    if run.entries:
        detail += (
            f" {counted(run.entries, 'voce', 'voci')} del registro attività con lo pseudonimo"
            " al posto del codice fiscale."
        )
    return detail


def last_purge(session: Session) -> datetime | None:
    """When a purge last ran to its end, as the audit log says (any process)."""
    return session.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.action == AuditAction.DATA_PURGE.value,
            AuditEntry.outcome == AuditOutcome.OK.value,
        )
    )


def purge_preview(
    session: Session, actor: Actor, retention: Retention, now: datetime
) -> PurgePreview:
    """`appio purge --dry-run`: what a purge now would do. An administrator's question,
    like the purge itself."""
    require_admin(session, actor, "contare i dati personali da rimuovere")
    return preview(session, retention, now)


def run_purge(
    sessions: sessionmaker[Session],
    actor: Actor,
    retention: Retention,
    clock: Callable[[], datetime] = utcnow,
) -> PurgeRun:
    """`appio purge`: everything due, now, by an administrator; in the audit log."""
    now = clock()
    with (
        session_scope(sessions) as session,
        recording(session, actor, AuditAction.DATA_PURGE, "notifiche") as entry,
    ):
        entry.skip = True  # recorded below, with the count
        require_admin(session, actor, "rimuovere i dati personali")
    run = purge(sessions, actor, retention, now)
    with session_scope(sessions) as session:
        record_purge(session, actor, retention, run, clock())
    return run
