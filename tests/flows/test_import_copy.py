"""The PostgreSQL import's own path (appio_core/flows/recipient_copy.py): binary COPY, and
the two foreign keys checked once instead of per row when that skips nothing else.

Each test imports into PostgreSQL; the first also into SQLite, and compares the rows."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.demo.accounts import seed_demo
from appio_core.flows import importing, recipient_copy
from appio_core.storage.db import make_engine, make_sessionmaker
from appio_core.storage.models import Flow, Notification

from .conftest import TEXT, fiscal_codes

pytestmark = pytest.mark.backends("postgres")

SERVICE = "Tributi - TARI"
TEMPLATES = importing.Templates(subject="Avviso per {{nome}}", text=TEXT)
# Every column the file can fill, nulls among them, and strings that text formats escape:
# quotes, backslashes, tabs, line breaks, U+2028, four-byte UTF-8, Markdown.
ODD = 'Via "Roma", 1\\2\tint.\u2028 3 \U0001f600 **x**'
# The columns a row carries, apart from its id and the moment of the import.
COMPARED = [
    c.name for c in Notification.__table__.columns if c.name not in {"id", "created_at", "flow_id"}
]


def _file() -> bytes:
    a, b, c, d = fiscal_codes(4, seed=7)
    header = "codice fiscale;nome;importo;numero avviso;scadenza;non pagabile dopo la scadenza"
    lines = [
        header + ";data invio;nota",
        f"{a.lower()};Mario;1.234,56;301000000000000001;31/12/2030 18:00;sì;03/12/2099 10:15;{ODD}",
        f'{b};"Laura\nBianchi";;;;;;',
        f"{c};Gigi;12,5;301000000000000002;31/12/2030;no;;ok",
        f"{d};Àngela Dell'Orto;0,01;301000000000000003;01/01/2031;;01/01/2100;",
    ]
    return ("\n".join(lines) + "\n").encode()


def _import(session: Session, actor: Actor, service_id: int) -> Flow:
    return importing.import_flow(
        session,
        actor,
        service_id=service_id,
        name="Avviso",
        natura="Avviso di pagamento",
        source=_file(),
        filename="destinatari.csv",
        templates=TEMPLATES,
    )


def _rows(session: Session, flow: Flow) -> list[dict[str, Any]]:
    query = select(Notification).where(Notification.flow_id == flow.id)
    return [
        {name: getattr(row, name) for name in COMPARED}
        for row in session.scalars(query.order_by(Notification.row_number))
    ]


@pytest.fixture
def sqlite_session(sqlite_template: Path, tmp_path: Path, keybox: KeyBox) -> Iterator[Session]:
    path = tmp_path / "sqlite.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with make_sessionmaker(engine)() as session:
        seed_demo(session, keybox)
        session.commit()
        yield session
    engine.dispose()


@pytest.fixture
def checked_once(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each import decided: per-row checks skipped (True) or left to PostgreSQL."""
    decisions: list[bool] = []
    decide = recipient_copy._keys_checked_once

    def spy(*args: Any) -> bool:
        decisions.append(decide(*args))
        return decisions[-1]

    monkeypatch.setattr(recipient_copy, "_keys_checked_once", spy)
    return decisions


def test_the_binary_copy_writes_exactly_the_values_sqlite_s_path_writes(
    session: Session,
    sqlite_session: Session,
    operator: Actor,
    demo: dict[str, int],
    checked_once: list[bool],
) -> None:
    on_postgres = _import(session, operator, demo[SERVICE])
    session.commit()
    on_sqlite = _import(sqlite_session, operator, demo[SERVICE])
    sqlite_session.commit()
    rows = _rows(session, on_postgres)
    assert rows == _rows(sqlite_session, on_sqlite)
    assert json.loads(rows[0]["extra"])["nota"] == ODD
    assert [r["send_after"] is None for r in rows] == [False, True, True, False]
    assert [r["invalid_after_due_date"] for r in rows] == [True, False, False, False]
    assert [r["amount"] for r in rows] == [123456, None, 1250, 1]
    # The moment of the import, shared by every row: the flow's own, to the microsecond's
    # order (the flow row is written first).
    created = set(
        session.scalars(
            select(Notification.created_at).where(Notification.flow_id == on_postgres.id)
        )
    )
    assert len(created) == 1 and abs((created.pop() - on_postgres.created_at).total_seconds()) < 5
    assert checked_once == [True]  # the tests' role is a superuser: the fast path


def test_the_per_row_triggers_are_back_once_the_rows_are_in(
    session: Session, operator: Actor, demo: dict[str, int], checked_once: list[bool]
) -> None:
    flow = _import(session, operator, demo[SERVICE])
    role = session.scalar(text("SELECT current_setting('session_replication_role')"))
    assert (checked_once, role) == ([True], "origin")
    # Within the same transaction a row with a key to nothing is refused again.
    with pytest.raises(IntegrityError, match="fk_notifications_service_id_services"):
        session.execute(
            text(
                "INSERT INTO notifications (flow_id, service_id, created_by, created_at,"
                " fiscal_code, subject, markdown, feature_level, extra, outcome, attempts,"
                " retryable) SELECT flow_id, 999999, created_by, created_at, fiscal_code,"
                " subject, markdown, feature_level, extra, outcome, attempts, retryable"
                " FROM notifications WHERE flow_id = :flow LIMIT 1"
            ),
            {"flow": flow.id},
        )
    session.rollback()


@pytest.mark.parametrize(("enabled", "once"), [("", False), ("ALWAYS", True)])
def test_a_trigger_on_the_notifications_runs_for_every_row_and_keeps_the_checks_unless_always(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    checked_once: list[bool],
    enabled: str,
    once: bool,
) -> None:
    session.execute(text("CREATE TABLE import_trigger_seen (n integer)"))
    session.execute(
        text(
            "CREATE FUNCTION import_trigger_count() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN INSERT INTO import_trigger_seen VALUES (NEW.row_number); RETURN NEW; END $$"
        )
    )
    session.execute(
        text(
            "CREATE TRIGGER import_trigger AFTER INSERT ON notifications"
            " FOR EACH ROW EXECUTE FUNCTION import_trigger_count()"
        )
    )
    if enabled:  # runs in replica mode too: nothing to keep the per-row checks for
        session.execute(text("ALTER TABLE notifications ENABLE ALWAYS TRIGGER import_trigger"))
    session.commit()
    try:
        _import(session, operator, demo[SERVICE])
        seen = session.scalars(text("SELECT n FROM import_trigger_seen ORDER BY n")).all()
        assert (checked_once, seen) == ([once], [2, 3, 4, 5])
        session.rollback()
    finally:
        session.rollback()
        session.execute(text("DROP TRIGGER import_trigger ON notifications"))
        session.execute(text("DROP FUNCTION import_trigger_count()"))
        session.execute(text("DROP TABLE import_trigger_seen"))
        session.commit()


def test_a_role_that_may_not_skip_the_checks_imports_with_them(
    session: Session, operator: Actor, demo: dict[str, int], checked_once: list[bool]
) -> None:
    role = f"appio_import_{uuid.uuid4().hex[:8]}"
    session.execute(text(f"CREATE ROLE {role}"))
    session.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
    session.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    session.commit()
    try:
        session.execute(text(f"SET ROLE {role}"))
        flow = _import(session, operator, demo[SERVICE])
        assert checked_once == [False]
        assert len(_rows(session, flow)) == 4
        session.rollback()
    finally:
        session.rollback()
        session.execute(text("RESET ROLE"))
        session.execute(text(f"DROP OWNED BY {role}"))
        session.execute(text(f"DROP ROLE {role}"))
        session.commit()
