"""Flows that never finish lose their personal data too: a flow left «Inattivo», «Attivo»
or «Sospeso» with no change for longer than the retention period is cancelled by the
purge (in the audit log, by the purge's actor, saying why), then its rows are purged;
a row whose send may be in flight never is."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.audit.models import AUDIT_LOG
from appio_core.cli import cli
from appio_core.domain import FlowState, Outcome
from appio_core.italian import local_date
from appio_core.notifications.retention import Retention, count_due, pseudonym, purge
from appio_core.storage.db import session_scope
from appio_core.storage.models import Flow, Notification, utcnow

from ..conftest import TEST_SECRET_KEY
from ..flows.conftest import fiscal_codes, imported_flow
from .conftest import TARI

RETENTION = Retention(30, TEST_SECRET_KEY)
OLD = timedelta(days=40)
WORKER = Actor.worker("worker w1")
UNFINISHED = [FlowState.INACTIVE, FlowState.ACTIVE, FlowState.PAUSED]


def _flow(
    sessions: sessionmaker[Session], actor: Actor, service_id: int, codes: list[str], name: str
) -> tuple[int, list[int]]:
    """A flow of these citizens, its rows created `OLD` ago; returns its id and rows."""
    with session_scope(sessions) as session:
        flow_id = imported_flow(session, actor, service_id, codes, name=name).id
        session.execute(
            update(Notification)
            .where(Notification.flow_id == flow_id)
            .values(created_at=utcnow() - OLD)
        )
        rows = session.scalars(
            select(Notification.id).where(Notification.flow_id == flow_id).order_by(Notification.id)
        )
        return flow_id, list(rows)


def _set_flow(sessions: sessionmaker[Session], flow_id: int, **values: object) -> None:
    with session_scope(sessions) as session:
        session.execute(update(Flow).where(Flow.id == flow_id).values(**values))


def _cancel_entries(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(AUDIT_LOG).where(AUDIT_LOG.c.action == "flow.cancel").order_by(AUDIT_LOG.c.id)
        ).all()
    return [(r.operator, r.origin, r.target, r.outcome, r.detail) for r in rows]


def _cancelled_detail(state: FlowState, changed: datetime) -> str:
    return (
        f"Annullato dalla rimozione dei dati personali: il flusso era «{state.value}» senza"
        f" modifiche dal {local_date(changed)}, oltre il periodo di conservazione (30 giorni)."
        " I codici fiscali e i testi dei destinatari vengono rimossi, quindi non potrà più"
        f" essere inviato. Stato: da «{state.value}» a «Annullato»."
    )


@pytest.mark.parametrize("state", UNFINISHED, ids=[s.name.lower() for s in UNFINISHED])
def test_a_flow_left_unfinished_past_the_retention_is_cancelled_and_its_rows_purged(
    state: FlowState,
    services: dict[str, int],
    sessions: sessionmaker[Session],
    operator: Actor,
) -> None:
    old_codes, recent_codes = fiscal_codes(2, seed=11), fiscal_codes(2, seed=12)
    old, old_rows = _flow(sessions, operator, services[TARI.name], old_codes, "Fermo")
    recent, recent_rows = _flow(sessions, operator, services[TARI.name], recent_codes, "Vivo")
    changed = utcnow() - OLD
    _set_flow(sessions, old, state=state, updated_at=changed)
    _set_flow(sessions, recent, state=state)  # its rows are as old: the flow changed today
    with sessions() as session:
        assert count_due(session, RETENTION, utcnow()) == 2  # what --dry-run says

    run = purge(sessions, WORKER, RETENTION, utcnow())

    assert (run.flows, run.purged, run.finished) == (1, 2, True)
    with sessions() as session:
        flows = {f.id: f for f in session.scalars(select(Flow))}
        assert {i: f.state for i, f in flows.items()} == {old: FlowState.CANCELLED, recent: state}
        assert flows[old].finished_at is not None and flows[recent].finished_at is None
        rows = {r.id: r for r in session.scalars(select(Notification))}
    assert [rows[i].fiscal_code for i in old_rows] == [
        pseudonym(TEST_SECRET_KEY, code) for code in old_codes
    ]
    assert all(rows[i].purged_at is not None and rows[i].markdown == "" for i in old_rows)
    assert [(rows[i].fiscal_code, rows[i].purged_at) for i in recent_rows] == [
        (code, None) for code in recent_codes
    ]
    assert _cancel_entries(sessions) == [
        (
            "appio-worker",
            "worker w1",
            f"flusso n. {old} «Fermo»",
            "riuscito",
            _cancelled_detail(state, changed),
        )
    ]
    again = purge(sessions, WORKER, RETENTION, utcnow())
    assert (again.flows, again.purged) == (0, 0)
    assert len(_cancel_entries(sessions)) == 1


def test_a_row_whose_send_may_be_in_flight_is_never_purged(
    services: dict[str, int], sessions: sessionmaker[Session], operator: Actor
) -> None:
    """A paused flow unchanged for the retention period: its rows over or abandoned long
    ago are purged; a row claimed and started just now (a send in flight) is not."""
    codes = fiscal_codes(4, seed=13)
    flow_id, (uncertain, failed, abandoned, in_flight) = _flow(
        sessions, operator, services[TARI.name], codes, "Sospeso da tempo"
    )
    then, now = utcnow() - OLD, utcnow()
    with session_scope(sessions) as session:
        for row_id, values in (
            (uncertain, {"outcome": Outcome.UNCERTAIN, "send_started_at": then}),
            (failed, {"outcome": Outcome.ERROR}),
            (abandoned, {"outcome": Outcome.SENDING, "send_started_at": then}),
            (in_flight, {"outcome": Outcome.SENDING, "worker_id": "w2", "send_started_at": now}),
        ):
            stamp = now if row_id == in_flight else then
            session.execute(
                update(Notification)
                .where(Notification.id == row_id)
                .values(updated_at=stamp, **values)
            )
    _set_flow(sessions, flow_id, state=FlowState.PAUSED, updated_at=then)

    run = purge(sessions, WORKER, RETENTION, utcnow())

    assert (run.flows, run.purged) == (1, 3)
    with sessions() as session:
        kept = session.get(Notification, in_flight)
        assert kept is not None
        assert (kept.purged_at, kept.fiscal_code, kept.outcome) == (
            None,
            codes[3],
            Outcome.SENDING,
        )
        assert kept.markdown != ""


def test_appio_purge_says_which_flows_it_will_cancel_then_cancels_them(
    services: dict[str, int],
    sessions: sessionmaker[Session],
    operator: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPIO_RETENTION_DAYS", "30")
    flow_id, _ = _flow(
        sessions, operator, services[TARI.name], fiscal_codes(2, seed=14), "Mai inviato"
    )
    _set_flow(sessions, flow_id, state=FlowState.PAUSED, updated_at=utcnow() - OLD)
    dry = CliRunner().invoke(cli, ["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("2 notifiche da ripulire: concluse senza novità dal ")
    assert dry.output.endswith(
        " (conservazione 30 giorni). 1 flusso fermo sarà annullato. Nulla è stato rimosso"
        " (--dry-run).\n"
    )
    with sessions() as session:
        assert session.scalar(select(Flow.state).where(Flow.id == flow_id)) == FlowState.PAUSED
    done = CliRunner().invoke(cli, ["purge"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("2 notifiche ripulite: concluse senza novità dal ")
    assert done.output.endswith(" (conservazione 30 giorni). 1 flusso fermo annullato.\n")
    [(who, _, target, _, _)] = _cancel_entries(sessions)
    assert (who, target) == ("appio-cli", f"flusso n. {flow_id} «Mai inviato»")
    with sessions() as session:
        [purge_detail] = session.scalars(
            select(AUDIT_LOG.c.detail).where(AUDIT_LOG.c.action == "data.purge")
        )
    assert purge_detail.startswith("2 notifiche ripulite (testo, oggetto,")
    assert " 1 flusso non concluso annullato: senza modifiche dal " in purge_detail
