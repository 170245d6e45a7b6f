"""A flow's outcomes in words: what «Invio incompleto» means, the breakdown, the pace."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.domain import FlowState, Outcome
from appio_core.flows import importing
from appio_core.flows.outcomes import (
    OutcomeGroup,
    breakdown,
    outcome_sentence,
    send_pace,
    state_meaning,
)
from appio_core.flows.queries import FlowProgress
from appio_core.storage.models import Notification, utcnow

from .conftest import TEXT, fiscal_codes, recipient_csv


def _progress(total: int, **counts: int) -> FlowProgress:
    return FlowProgress.of(total, {Outcome[name]: n for name, n in counts.items()})


def test_the_sentence_counts_who_was_reached_and_why_not() -> None:
    progress = _progress(1000, ACCEPTED=800, DELIVERED=12, NOT_ON_IO=150, SERVICE_BLOCKED=38)
    assert outcome_sentence(progress) == (
        "Inviato a 812 cittadini su 1.000: 150 non usano IO, 38 hanno disattivato il"
        " servizio, 0 errori."
    )


def test_a_flow_whose_citizens_are_all_off_io_is_not_called_a_failure() -> None:
    progress = _progress(5, NOT_ON_IO=5)
    meaning = state_meaning(FlowState.INCOMPLETE, progress)
    assert meaning is not None
    assert "Inviato a 0 cittadini su 5: 5 non usano IO, 0 hanno disattivato il servizio" in meaning
    assert "non è un errore dell'invio" in meaning
    assert "Reinvia falliti" not in meaning  # nothing to retry
    assert dict(breakdown(progress))[OutcomeGroup.NOT_ON_IO] == 5
    assert dict(breakdown(progress))[OutcomeGroup.REACHED] == 0


def test_temporary_errors_point_to_reinvia_falliti() -> None:
    progress = _progress(3, ACCEPTED=1, ERROR=2)
    meaning = state_meaning(FlowState.INCOMPLETE, progress, retryable=2)
    assert meaning is not None and "2 errori sono temporanei: «Reinvia falliti»" in meaning
    assert state_meaning(FlowState.SENDING, progress) is None


def test_the_pace_comes_from_the_rows_finished_recently(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = importing.import_flow(
        session,
        operator,
        service_id=demo["Tributi - TARI"],
        name="Ritmo",
        natura="Comunicazione",
        source=recipient_csv(fiscal_codes(40)),
        filename="ritmo.csv",
        templates=importing.Templates("Avviso per {{nome}}", TEXT),
    )
    now = utcnow()
    rows = session.query(Notification).filter_by(flow_id=flow.id).order_by(Notification.id).all()
    for row in rows[:10]:  # ten done in the last minute
        row.outcome = Outcome.ACCEPTED
        row.updated_at = now - timedelta(seconds=30)
    for row in rows[10:20]:  # ten done long ago: not the current pace
        row.outcome = Outcome.NOT_ON_IO
        row.updated_at = now - timedelta(hours=1)
    session.flush()
    pace = send_pace(session, flow.id, waiting=20, started_at=now - timedelta(hours=2), now=now)
    assert pace.per_minute == 5.0  # 10 in the 2-minute window
    assert pace.left == timedelta(minutes=4)
    assert pace.describe() == "5 messaggi al minuto; circa 4 minuti rimanenti."
    idle = send_pace(session, flow.id, waiting=20, started_at=None, now=now + timedelta(hours=1))
    assert idle.left is None
