"""Writing the rows' changes in bulk: shared values become SQL constants, the rest stays
bound, and what IO says is never part of a statement. Each write lands only while the row
is still the writer's (the fence): a late answer never overwrites a newer decision."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.domain import FlowState, Outcome
from appio_core.flows import actions
from appio_core.notifications.change import NotificationChange
from appio_core.notifications.status import accepted_values
from appio_core.sending.change_writes import Claim, StatusRead, write_changes
from appio_core.sending.outcomes import KEY_REFUSED_NOTE
from appio_core.sending.recording import record_outcomes
from appio_core.sending.store import CRASHED_DURING_SEND
from appio_core.storage.models import Flow, Notification, utcnow

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

    _claim(session, ids, "worker-a", attempts=1)
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        dropped = write_changes(session, changes, now, Claim("worker-a", dict.fromkeys(ids, 1)))
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert dropped == set()
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


def _claim(session: Session, ids: list[int], worker_id: str, attempts: int) -> None:
    """The rows «in invio» for `worker_id`, their send started (`attempts` counted)."""
    session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(
            outcome=Outcome.SENDING,
            worker_id=worker_id,
            attempts=attempts,
            send_started_at=utcnow(),
        )
    )


# What happened to a row while worker A (attempt 1) waited for IO's answer, and whether A's
# answer may still be written.
MEANWHILE: list[tuple[str, dict[str, Any], bool]] = [
    ("nothing: the row is still A's, at this attempt", {}, True),
    (
        "another worker took the account over: «esito incerto»",
        {"outcome": Outcome.UNCERTAIN, "worker_id": None, "error_detail": CRASHED_DURING_SEND},
        False,
    ),
    (
        "an operator chose «Reinvia» and worker B claimed it again",
        {"outcome": Outcome.SENDING, "worker_id": "worker-b", "attempts": 2},
        False,
    ),
    (
        "an operator chose «Reinvia» and A itself claimed it again",
        {"outcome": Outcome.SENDING, "worker_id": "worker-a", "attempts": 2},
        False,
    ),
    (
        "worker B sent it again and IO accepted it",
        {"outcome": Outcome.ACCEPTED, "worker_id": None, "io_message_id": "01B", "attempts": 2},
        False,
    ),
    (
        "an operator marked it as sent",
        {"outcome": Outcome.ACCEPTED, "worker_id": None, "error_detail": "Segnato da mrossi."},
        False,
    ),
]


@pytest.mark.parametrize(("meanwhile", "change", "lands"), MEANWHILE, ids=[m[0] for m in MEANWHILE])
def test_a_late_answer_is_written_only_while_the_row_is_still_the_writers(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    caplog: pytest.LogCaptureFixture,
    meanwhile: str,
    change: dict[str, Any],
    lands: bool,
) -> None:
    ids = _rows(session, operator, demo["Tributi - TARI"], 2)
    _claim(session, ids, "worker-a", attempts=1)
    target, other = ids
    if change:
        session.execute(update(Notification).where(Notification.id == target).values(**change))
    before = session.execute(select(Notification.__table__).where(Notification.id == target)).one()
    now = utcnow()
    late = {i: accepted_values(f"01A{i}", now, 24, 60.0) for i in ids}

    with caplog.at_level(logging.WARNING, logger="appio_core.sending.change_writes"):
        dropped = write_changes(session, late, now, Claim("worker-a", dict.fromkeys(ids, 1)))

    assert dropped == (set() if lands else {target})
    session.expire_all()
    rows = {r.id: r for r in session.scalars(select(Notification).where(Notification.id.in_(ids)))}
    # The rest of the chunk is written whatever happened to one row.
    assert (rows[other].outcome, rows[other].io_message_id) == (Outcome.ACCEPTED, f"01A{other}")
    if lands:
        assert (rows[target].outcome, rows[target].io_message_id) == (
            Outcome.ACCEPTED,
            f"01A{target}",
        )
        assert caplog.text == ""
    else:
        # The newer decision stands, column for column; the dropped answer is in the log.
        after = session.execute(select(Notification.__table__).where(Notification.id == target))
        assert after.one() == before
        assert f"notification {target} is no longer worker-a's" in caplog.text
        assert f"IO message id 01A{target}" in caplog.text


def test_a_dropped_answer_does_not_pause_the_flow_it_asked_to_pause(
    session: Session, operator: Actor, demo: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    flow = imported_flow(session, operator, demo["Tributi - TARI"], fiscal_codes(1))
    actions.activate(session, operator, flow.id)
    actions.send(session, operator, flow.id)
    session.flush()
    (row_id,) = session.scalars(select(Notification.id).where(Notification.flow_id == flow.id))
    _claim(session, [row_id], "worker-b", attempts=2)  # taken over and resent meanwhile
    refused = NotificationChange(
        outcome=Outcome.PENDING, http_status=401, pause_flow=KEY_REFUSED_NOTE
    )
    record_outcomes(session, flow.id, {row_id: refused}, utcnow(), Claim("worker-a", {row_id: 1}))
    session.expire_all()
    assert session.get(Flow, flow.id).state == FlowState.SENDING  # type: ignore[union-attr]
    assert session.get(Notification, row_id).worker_id == "worker-b"  # type: ignore[union-attr]


def test_a_status_read_is_not_written_over_a_newer_one(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    ids = _rows(session, operator, demo["Tributi - TARI"], 3)
    never_read, read_once, read_meanwhile = ids
    first = utcnow() - timedelta(minutes=10)
    newer = utcnow() - timedelta(seconds=5)
    session.execute(
        update(Notification)
        .where(Notification.id.in_([read_once, read_meanwhile]))
        .values(status_checked_at=first)
    )
    # «Aggiorna stato», or the worker that took the account over, read it after we did.
    session.execute(
        update(Notification)
        .where(Notification.id == read_meanwhile)
        .values(status_checked_at=newer, io_status="PROCESSED")
    )
    now = utcnow()
    read = NotificationChange(status_checked_at=now, io_status="ACCEPTED")
    as_read = StatusRead({never_read: None, read_once: first, read_meanwhile: first})

    dropped = write_changes(session, dict.fromkeys(ids, read), now, as_read)

    assert dropped == {read_meanwhile}
    session.expire_all()
    rows = {r.id: r for r in session.scalars(select(Notification).where(Notification.id.in_(ids)))}
    assert [(rows[i].io_status, rows[i].status_checked_at) for i in ids] == [
        ("ACCEPTED", now),
        ("ACCEPTED", now),
        ("PROCESSED", newer),
    ]
