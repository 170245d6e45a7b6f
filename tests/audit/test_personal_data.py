"""The codici fiscali in the audit log: kept in a column of their own (never in an entry's
text), replaced by the citizen's pseudonym once the retention period is over, the same
pseudonym as his purged messages; the database refuses every other change to an entry
and every deletion, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, bindparam, delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.audit import AuditAction, Named, record
from appio_core.audit.models import AUDIT_LOG
from appio_core.exports.workbooks import write_notifications
from appio_core.notifications.archive import NotificationFilters
from appio_core.notifications.retention import Retention, pseudonym, purge
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.storage.db import session_scope
from appio_core.storage.migrate import alembic_config, upgrade
from appio_core.storage.models import Notification, UTCDateTime, utcnow

from ..conftest import TEST_SECRET_KEY
from ..flows.conftest import fiscal_codes

RETENTION = Retention(30, TEST_SECRET_KEY)
WORKER = Actor.worker("worker w1")
WHO = Named("mrossi", "192.0.2.7")
CODE = fiscal_codes(1, seed=21)[0]
ALIAS = pseudonym(TEST_SECRET_KEY, CODE)


def _entries(sessions: sessionmaker[Session], action: str) -> list[Any]:
    with sessions() as session:
        return list(
            session.execute(
                select(AUDIT_LOG).where(AUDIT_LOG.c.action == action).order_by(AUDIT_LOG.c.id)
            ).all()
        )


def test_an_export_entry_gets_the_pseudonym_of_the_citizens_purged_rows_after_the_retention(
    services: dict[str, int],
    sessions: sessionmaker[Session],
    operator: Actor,
    message: NewNotification,
    send: Any,
) -> None:
    sent: SingleResult = send(operator, message)
    code = message.fiscal_code
    with session_scope(sessions) as session:
        filters = NotificationFilters(fiscal_code=f" {code.lower()} ")
        write_notifications(session, operator, filters, io.BytesIO())
        session.execute(
            update(Notification)
            .where(Notification.id == sent.id)
            .values(next_status_check_at=None)  # its status no longer read
        )
    [before] = _entries(sessions, "export.notifications")
    assert before.fiscal_code == code and code not in before.detail
    assert before.detail == "Filtri: codice fiscale: vedi «Codice fiscale». 1 riga."
    # The purge runs 40 days from now; an entry written 35 days from now is still recent.
    later = utcnow() + timedelta(days=40)
    with session_scope(sessions) as session:
        record(
            session,
            WHO,
            AuditAction.EXPORT_NOTIFICATIONS,
            "archivio delle notifiche",
            at=later - timedelta(days=5),
            fiscal_code=code,
        )

    run = purge(sessions, WORKER, RETENTION, later)

    assert (run.purged, run.entries) == (1, 1)
    with sessions() as session:
        purged_code = session.scalar(
            select(Notification.fiscal_code).where(Notification.id == sent.id)
        )
    after, recent = _entries(sessions, "export.notifications")
    alias = pseudonym(TEST_SECRET_KEY, code)
    assert after.fiscal_code == purged_code == alias
    assert {**after._mapping, "fiscal_code": code} == dict(before._mapping)  # the rest as it was
    assert recent.fiscal_code == code
    assert purge(sessions, WORKER, RETENTION, later).entries == 0  # nothing twice


def _entry(sessions: sessionmaker[Session], fiscal_code: str | None = CODE) -> int:
    with session_scope(sessions) as session:
        record(
            session,
            WHO,
            AuditAction.READ_SEARCH,
            "archivio delle notifiche",
            detail="Filtri: codice fiscale: vedi «Codice fiscale». 1 riga trovata.",
            fiscal_code=fiscal_code,
        )
    with sessions() as session:
        return session.scalar(select(AUDIT_LOG.c.id).order_by(AUDIT_LOG.c.id.desc()).limit(1))


OTHER_VALUES: dict[str, Any] = {
    "id": 999,
    "at": utcnow() - timedelta(days=1),
    "operator": "qualcun-altro",
    "action": "login",
    "target": "altro",
    "outcome": "rifiutato",
    "detail": "Riscritto.",
    "origin": "198.51.100.1",
}


def test_every_column_of_the_audit_log_is_tried_below() -> None:
    assert set(AUDIT_LOG.c.keys()) == {*OTHER_VALUES, "fiscal_code"}


@pytest.mark.parametrize("column", list(OTHER_VALUES))
def test_no_other_column_changes_not_even_with_the_pseudonym(
    column: str, sessions: sessionmaker[Session]
) -> None:
    entry = _entry(sessions)
    for values in (
        {column: OTHER_VALUES[column]},
        {column: OTHER_VALUES[column], "fiscal_code": ALIAS},
    ):
        with pytest.raises(DBAPIError, match="append-only"), session_scope(sessions) as session:
            session.execute(update(AUDIT_LOG).where(AUDIT_LOG.c.id == entry).values(**values))
    with sessions() as session:
        row = session.execute(select(AUDIT_LOG).where(AUDIT_LOG.c.id == entry)).one()
    assert (row.operator, row.fiscal_code) == ("mrossi", CODE)


@pytest.mark.parametrize(
    ("stored", "new"),
    [
        (CODE, fiscal_codes(2, seed=21)[1]),  # another citizen
        (CODE, None),  # the citizen erased instead of pseudonymized
        (CODE, "ps:corto"),  # not a pseudonym's length
        (CODE, CODE.lower()),
        (ALIAS, pseudonym("altra-chiave", CODE)),  # a pseudonym is final
        (ALIAS, CODE),  # and never goes back
        (None, ALIAS),  # an entry about nobody stays about nobody
    ],
)
def test_the_codice_fiscale_changes_only_into_a_pseudonym_and_only_once(
    stored: str | None, new: str | None, sessions: sessionmaker[Session]
) -> None:
    entry = _entry(sessions, stored)
    with pytest.raises(DBAPIError, match="append-only"), session_scope(sessions) as session:
        session.execute(update(AUDIT_LOG).where(AUDIT_LOG.c.id == entry).values(fiscal_code=new))


def test_the_purges_change_is_allowed_and_no_entry_is_ever_deleted(
    sessions: sessionmaker[Session],
) -> None:
    entry = _entry(sessions)
    with session_scope(sessions) as session:
        session.execute(update(AUDIT_LOG).where(AUDIT_LOG.c.id == entry).values(fiscal_code=ALIAS))
    for statement in (delete(AUDIT_LOG), delete(AUDIT_LOG).where(AUDIT_LOG.c.id == entry)):
        with pytest.raises(DBAPIError, match="append-only"), session_scope(sessions) as session:
            session.execute(statement)
    with sessions() as session:
        assert session.scalar(select(AUDIT_LOG.c.fiscal_code)) == ALIAS


def test_the_upgrade_moves_the_codes_of_earlier_exports_out_of_their_text(
    db_url: str, engine: Engine
) -> None:
    command.downgrade(alembic_config(db_url), "0008")
    earlier = {
        1: f"Filtri: servizio: 1; codice fiscale: {CODE.lower()}; esito: errore. 3 righe.",
        2: f"Filtri: codice fiscale: {CODE}. 1 riga.",
        3: f"Filtri: codice fiscale: {CODE}. Non sei abilitato a questo servizio.",
        4: "Filtri: servizio: 1. 12 righe.",
    }
    with engine.begin() as conn:
        for entry_id, detail in earlier.items():
            conn.execute(
                text(
                    "INSERT INTO audit_log (id, at, operator, action, target, outcome, detail,"
                    " origin) VALUES (:id, :at, 'mrossi', 'export.notifications',"
                    " 'archivio delle notifiche', 'riuscito', :detail, '')"
                ).bindparams(bindparam("at", type_=UTCDateTime())),
                {"id": entry_id, "at": utcnow(), "detail": detail},
            )
    upgrade(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, fiscal_code, detail FROM audit_log ORDER BY id"))
        assert [tuple(r) for r in rows] == [
            (
                1,
                CODE,
                "Filtri: servizio: 1; codice fiscale: vedi «Codice fiscale»; esito: errore."
                " 3 righe.",
            ),
            (2, CODE, "Filtri: codice fiscale: vedi «Codice fiscale». 1 riga."),
            (
                3,
                CODE,
                "Filtri: codice fiscale: vedi «Codice fiscale». Non sei abilitato a questo"
                " servizio.",
            ),
            (4, None, "Filtri: servizio: 1. 12 righe."),
        ]
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = 'x' WHERE id = 4"))
