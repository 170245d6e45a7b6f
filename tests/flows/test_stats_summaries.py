"""The «Cruscotto»'s summaries, kept by the database in the rows' transaction, always equal
what a rebuild from the rows gives: after sends, status reads (delivered, read, paid),
retries, «Reinvia» and «Segna come inviato» of uncertain rows, single messages, and the
purge (which changes codici fiscali into pseudonyms and keeps every count)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.domain import FeatureLevel, FlowState, Outcome
from appio_core.flows import actions, queries
from appio_core.io.simulator import create_app, demo_config
from appio_core.io.simulator.config import Faults
from appio_core.notifications.retention import Retention, purge
from appio_core.notifications.stats.figures import Grouping, Period, StatsFilters, report
from appio_core.notifications.stats.rebuild import Snapshot, rebuild, snapshot
from appio_core.sending.dispatcher import Dispatcher
from appio_core.storage.models import Flow, Notification, utcnow

from ..conftest import TEST_SECRET_KEY
from .conftest import fiscal_codes, imported_flow


def _flow(
    session: Session, actor: Actor, service_id: int, codes: list[str], **values: object
) -> int:
    flow = imported_flow(session, actor, service_id, codes)
    if values:
        session.execute(update(Flow).where(Flow.id == flow.id).values(**values))
        level = values.get("feature_level")
        if level is not None:
            session.execute(
                update(Notification)
                .where(Notification.flow_id == flow.id)
                .values(feature_level=level)
            )
    actions.activate(session, actor, flow.id)
    actions.send(session, actor, flow.id)
    session.commit()
    return flow.id


def _kept_and_rebuilt(sessions: sessionmaker[Session]) -> tuple[Snapshot, Snapshot]:
    """The summaries as kept, and as a rebuild gives them (rolled back)."""
    with sessions() as session:
        kept = snapshot(session)
        rebuild(session)
        rebuilt = snapshot(session)
        session.rollback()
    return kept, rebuilt


def _assert_consistent(sessions: sessionmaker[Session]) -> Snapshot:
    kept, rebuilt = _kept_and_rebuilt(sessions)
    assert kept == rebuilt
    return kept


def _row_totals(session: Session) -> dict[Outcome, int]:
    rows = session.execute(
        select(Notification.outcome, func.count()).group_by(Notification.outcome)
    ).all()
    return {outcome: count for outcome, count in rows}


async def test_the_summaries_kept_equal_a_rebuild_through_a_flows_whole_life(
    session: Session,
    sessions: sessionmaker[Session],
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    tari = demo["Tributi - TARI"]
    app = create_app(demo_config(rate_limit=False, processing_delay=0.0, read_share=0.5))
    # An ADVANCED flow, sent and its status read: accepted, delivered, read; not on IO, blocked.
    advanced = _flow(session, operator, tari, fiscal_codes(60, seed=3),
                     feature_level=FeatureLevel.ADVANCED)  # fmt: skip
    await make_dispatcher(app).run(once=True)
    kept = _assert_consistent(sessions)
    counts = kept[0]
    assert sum(c[0] for c in counts.values()) == 60  # sent
    session.expire_all()
    totals = _row_totals(session)
    assert Outcome.DELIVERED in totals and Outcome.NOT_ON_IO in totals
    read = session.scalar(
        select(func.count()).where(
            Notification.flow_id == advanced, Notification.read_status == "READ"
        )
    )
    assert read and sum(c[8] for c in counts.values()) == read  # advanced_read
    # A payment status read by hand, as a status read writes it.
    some = session.scalar(
        select(Notification.id).where(Notification.outcome == Outcome.DELIVERED).limit(1)
    )
    session.execute(
        update(Notification)
        .where(Notification.id == some)
        .values(amount=1500, payment_status="PAID")
    )
    session.commit()
    assert sum(c[9] for c in _assert_consistent(sessions)[0].values()) == 1

    # IO unavailable: errors, then «Reinvia» of the failed rows, sent again.
    app.set_faults(Faults(error_503_rate=1.0))
    failing = _flow(session, operator, tari, fiscal_codes(12, seed=4))
    dispatcher = make_dispatcher(app, max_attempts=2, status_first_check=3600.0)
    for _ in range(60):
        if not await dispatcher.tick():
            await asyncio.sleep(0.02)
        session.expire_all()
        if queries.get_flow(session, operator, failing).state != FlowState.SENDING:
            break
    assert queries.get_flow(session, operator, failing).counts == {Outcome.ERROR: 12}
    _assert_consistent(sessions)
    app.set_faults(Faults())
    assert actions.retry_failed(session, operator, failing) == 12
    session.commit()
    _assert_consistent(sessions)  # back to «da inviare»: no longer counted
    await dispatcher.run(once=True)
    _assert_consistent(sessions)

    # Uncertain outcomes: some marked as sent, the others sent again.
    uncertain = _flow(session, operator, tari, fiscal_codes(10, seed=5), check_profile=False)
    app.set_faults(Faults(error_500_rate=1.0, created_share=0.5))
    await make_dispatcher(app, status_first_check=3600.0).run(once=True)
    app.set_faults(Faults())
    session.expire_all()
    rows = queries.list_recipients(session, operator, uncertain)
    assert {r.outcome for r in rows} == {Outcome.UNCERTAIN}
    _assert_consistent(sessions)
    ids = [r.id for r in rows]
    actions.mark_uncertain_sent(session, operator, uncertain, ids[:4])
    actions.resend_uncertain(session, operator, uncertain, ids[4:])
    session.commit()
    _assert_consistent(sessions)
    await make_dispatcher(app, status_first_check=3600.0).run(once=True)
    before_purge = _assert_consistent(sessions)

    # The purge: every row old enough, every code a pseudonym; the counts stay.
    with sessions.begin() as s:
        s.execute(
            update(Notification).values(
                created_at=utcnow() - timedelta(days=40), next_status_check_at=None
            )
        )
    sent_before = sum(c[0] for c in before_purge[0].values())
    run = purge(
        sessions, Actor.worker(), Retention(30, TEST_SECRET_KEY), utcnow() + timedelta(days=60)
    )
    assert run.purged == 82
    after = _assert_consistent(sessions)
    assert after[0] == before_purge[0]
    assert sum(c[0] for c in after[0].values()) == sent_before
    # The same citizens, under their pseudonyms: no codice fiscale is left in the summary.
    assert sorted(k[:2] for k in after[1]) == sorted(k[:2] for k in before_purge[1])
    assert [v for v in before_purge[1].values()] != [] and all(
        citizen.startswith("ps:") for _, _, citizen in after[1]
    )
    session.expire_all()
    with sessions() as s:
        figures = report(
            s, Actor.system(), StatsFilters(Period.month_of(utcnow().date()), by=Grouping.FLOW)
        )
    # The page's figures are the rows' (every message of the test is of this month).
    totals = _row_totals(session)
    assert figures.total.sent == sum(totals.values()) == 82
    assert figures.total.delivered == totals.get(Outcome.DELIVERED, 0)
    assert figures.total.not_on_io == totals.get(Outcome.NOT_ON_IO, 0)
