"""The audit log's mechanics: an entry goes with its action's transaction, a refusal
outlives the caller's rollback, nothing can change or delete an entry, every login."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.operators import authenticate, create_operator, set_active
from appio_core.accounts.permissions import Actor
from appio_core.audit import AuditAction, AuditOutcome, Named, record, recording
from appio_core.audit.models import AUDIT_LOG
from appio_core.domain import Role
from appio_core.errors import Conflict
from appio_core.storage.db import session_scope
from appio_core.storage.models import IoAccount

from .conftest import Log, only

WHO = Named("mrossi", "192.0.2.7")


def test_an_entry_is_kept_with_its_action_and_gone_with_its_rollback(
    sessions: sessionmaker[Session], log: Log
) -> None:
    with sessions() as session:
        record(session, WHO, AuditAction.FLOW_PAUSE, "flusso n. 1 «TARI»")
        session.rollback()
    assert log() == []
    with session_scope(sessions) as session:
        record(session, WHO, AuditAction.FLOW_PAUSE, "flusso n. 1 «TARI»", detail="Stato.")
    [entry] = log()
    assert (entry.operator, entry.action, entry.target, entry.outcome, entry.detail) == (
        "mrossi",
        "flow.pause",
        "flusso n. 1 «TARI»",
        "riuscito",
        "Stato.",
    )
    assert entry.origin == "192.0.2.7" and entry.at.tzinfo is not None


def test_a_refusal_outlives_the_rollback_even_after_the_caller_wrote(
    sessions: sessionmaker[Session], log: Log
) -> None:
    """On SQLite the caller holds the write lock here: the entry is written after it is
    released, not by a second connection waiting for it (30 s, then lost)."""
    started = time.monotonic()
    with pytest.raises(Conflict), session_scope(sessions) as session:
        session.execute(update(IoAccount).values(rate_limit_requests=1))  # takes the lock
        with recording(session, WHO, AuditAction.FLOW_SEND, "flusso n. 9") as entry:
            entry.target = "flusso n. 9 «Rette»"
            raise Conflict(
                "Il flusso è «Inattivo»: «Invia» è possibile solo per un flusso «Attivo»."
            )
    assert time.monotonic() - started < 10
    [entry] = log()
    assert (entry.action, entry.target, entry.outcome) == (
        "flow.send",
        "flusso n. 9 «Rette»",
        "rifiutato",
    )
    assert entry.detail.startswith("Il flusso è «Inattivo»")


def test_a_refusal_before_any_statement_is_written_at_once(
    sessions: sessionmaker[Session], log: Log
) -> None:
    with (
        pytest.raises(Conflict),
        sessions() as session,
        recording(session, WHO, AuditAction.OPERATOR_CREATE, "operatore «x»"),
    ):
        raise Conflict("No.")
    assert [(e.action, e.outcome) for e in log()] == [("operator.create", "rifiutato")]


def test_a_refusal_is_recorded_once_when_the_caller_commits_anyway(
    sessions: sessionmaker[Session], log: Log
) -> None:
    with session_scope(sessions) as session:
        session.execute(text("SELECT 1"))
        with (
            pytest.raises(Conflict),
            recording(session, WHO, AuditAction.SERVICE_UPDATE, "servizio «Tributi»"),
        ):
            raise Conflict("No.")
    assert [(e.action, e.outcome) for e in log()] == [("service.update", "rifiutato")]


def test_an_unexpected_error_is_recorded_without_its_text(
    sessions: sessionmaker[Session], log: Log
) -> None:
    with (
        pytest.raises(ValueError),
        session_scope(sessions) as session,
        recording(session, WHO, AuditAction.NOTIFICATION_SEND, "notifica n. 3"),
    ):
        raise ValueError("Gentile Mario Rossi, la sua TARI")
    [entry] = log()
    assert (entry.outcome, entry.detail) == ("non riuscito", "Errore interno (ValueError).")


def test_the_database_refuses_to_change_or_delete_an_entry(
    sessions: sessionmaker[Session], log: Log
) -> None:
    with session_scope(sessions) as session:
        record(session, WHO, AuditAction.LOGIN, "operatore «mrossi»")
    for statement in (
        update(AUDIT_LOG).values(operator="qualcun-altro"),
        delete(AUDIT_LOG),
    ):
        with pytest.raises(DBAPIError, match="append-only"), session_scope(sessions) as session:
            session.execute(statement)
    assert [e.operator for e in log()] == ["mrossi"]


@pytest.fixture
def people(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        create_operator(session, Actor.system(), "mrossi", "password-1234", Role.OPERATOR)
        create_operator(session, Actor.system(), "ex", "password-1234", Role.VIEWER)
        set_active(session, Actor.system(), "ex", False)


@pytest.mark.parametrize(
    ("username", "password", "who", "outcome", "detail"),
    [
        ("MRossi ", "password-1234", "mrossi", "riuscito", ""),
        ("mrossi", "sbagliata", "mrossi", "rifiutato", "Password errata."),
        ("nessuno", "password-1234", "nessuno", "rifiutato", "Nome utente sconosciuto."),
        ("ex", "password-1234", "ex", "rifiutato", "Operatore disattivato."),
        # A password typed as the username must not end up in the log.
        ("Segreta!2026", "x", "(nome non valido)", "rifiutato", "Nome utente sconosciuto."),
    ],
)
def test_every_login_is_recorded_with_its_address(
    people: None,
    sessions: sessionmaker[Session],
    log: Log,
    username: str,
    password: str,
    who: str,
    outcome: str,
    detail: str,
) -> None:
    # The page's transaction may even roll back: a failed attempt is still recorded.
    with sessions() as session:
        actor = authenticate(session, username, password, "198.51.100.4")
        if actor is None:
            session.rollback()
        else:
            assert actor.origin == "198.51.100.4"
            session.commit()
    [entry] = only(log(), "login")
    assert (entry.operator, entry.target, entry.outcome, entry.detail, entry.origin) == (
        who,
        f"operatore «{who}»",
        outcome,
        detail,
        "198.51.100.4",
    )
    assert "Segreta" not in entry.text and password not in entry.text


def test_the_installations_names_are_reserved(sessions: sessionmaker[Session], log: Log) -> None:
    for name in ("appio-cli", "appio-worker"):
        with pytest.raises(Exception, match="riservato"), session_scope(sessions) as session:
            create_operator(session, Actor.system(), name, "password-1234", Role.ADMIN)
    assert {(e.action, e.outcome) for e in log()} == {("operator.create", "rifiutato")}
    assert AuditOutcome.REFUSED.value == "rifiutato"
