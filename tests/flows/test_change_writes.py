"""Writing the rows' changes in bulk: shared values become SQL constants, the rest stays
bound, and what IO says is never part of a statement."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.domain import Outcome
from appio_core.notifications.change import NotificationChange
from appio_core.notifications.status import accepted_values
from appio_core.sending.change_writes import write_changes
from appio_core.storage.models import Notification, utcnow

from .conftest import fiscal_codes, imported_flow


def _rows(session: Session, actor: Actor, service_id: int, count: int) -> list[int]:
    flow = imported_flow(session, actor, service_id, fiscal_codes(count))
    session.flush()
    return list(
        session.scalars(
            select(Notification.id).where(Notification.flow_id == flow.id).order_by(Notification.id)
        )
    )


def test_shared_and_own_values_are_both_stored(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    ids = _rows(session, operator, demo["Tributi - TARI"], 4)
    now = utcnow()
    # IO's words, the same for two rows and with a quote in them: bound, never SQL.
    detail = "Richiesta non valida: campo 'content' errato'); DROP TABLE notifications; --"
    refused = NotificationChange(
        outcome=Outcome.ERROR, http_status=400, error_detail=detail, retryable=False
    )
    changes = {
        ids[0]: accepted_values("01AAA", now, 24, 60.0),
        ids[1]: accepted_values("01BBB", now, 24, 60.0),
        ids[2]: refused,
        ids[3]: refused,
    }
    sent: list[str] = []

    def keep(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        write_changes(session, changes, now)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    session.expire_all()
    rows = {r.id: r for r in session.scalars(select(Notification).where(Notification.id.in_(ids)))}
    assert [rows[i].outcome for i in ids] == [Outcome.ACCEPTED] * 2 + [Outcome.ERROR] * 2
    assert [rows[i].io_message_id for i in ids[:2]] == ["01AAA", "01BBB"]
    assert [rows[i].http_status for i in ids] == [201, 201, 400, 400]
    assert all(rows[i].error_detail == detail for i in ids[2:])
    assert all(rows[i].error_detail is None and rows[i].retryable is False for i in ids[:2])
    assert all(rows[i].worker_id is None and rows[i].updated_at == now for i in ids)

    # What reached the database: states, numbers and NULLs written in, IO's text and the
    # dates bound; one statement per shape of change.
    assert len(sent) == 2
    accepted = next(sql for sql in sent if "accettato" in sql)
    assert "http_status=201" in accepted and "error_detail=NULL" in accepted
    assert "io_message_id=" in accepted and "01AAA" not in accepted
    assert all("DROP TABLE" not in sql for sql in sent)
