"""The «Cruscotto»'s figures: what each row counts for, on which Italian day and month, per
service, natura, flow and month; shares; the citizens reachable (each once a month);
who sees what; the period typed; the Excel export."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.audit.models import AuditEntry
from appio_core.domain import FeatureLevel, FlowState, Natura, Outcome
from appio_core.errors import InvalidInput, PermissionDenied
from appio_core.exports.stats import write_stats
from appio_core.notifications.stats.figures import (
    SINGLE_MESSAGES,
    Figures,
    Grouping,
    Period,
    StatsFilters,
    reach,
    report,
)
from appio_core.notifications.stats.rebuild import rebuild, snapshot
from appio_core.notifications.stats.sql import day
from appio_core.storage.models import Flow, Notification, UTCDateTime

from .conftest import MENSA, TARI

ROME = ZoneInfo("Europe/Rome")
NOVEMBER = Period.month_of(date(2026, 11, 1))
ADMIN = Actor.system()


def _at(text_: str) -> datetime:
    """An Italian moment, «gg/mm/aaaa hh:mm», in UTC."""
    return datetime.strptime(text_, "%d/%m/%Y %H:%M").replace(tzinfo=ROME).astimezone(UTC)


def _flow(session: Session, service_id: int, name: str, natura: Natura) -> int:
    flow = Flow(
        name=name, natura=natura.value, service_id=service_id, created_by="mrossi",
        state=FlowState.SENT, source_filename="f.csv", source_checksum="0" * 64,
    )  # fmt: skip
    session.add(flow)
    session.flush()
    return flow.id


def _row(
    session: Session,
    service_id: int,
    outcome: Outcome,
    at: datetime,
    fiscal_code: str = "RSSMRA80A01H501U",
    flow_id: int | None = None,
    **values: object,
) -> Notification:
    accepted = outcome in (Outcome.ACCEPTED, Outcome.DELIVERED)
    row = Notification(
        flow_id=flow_id, service_id=service_id, created_by="mrossi", created_at=at,
        fiscal_code=fiscal_code, subject="Oggetto", markdown="Testo", outcome=outcome,
        sent_at=at if accepted else None, updated_at=at, **values,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def world(services: dict[str, int], sessions: sessionmaker[Session]) -> dict[str, int]:
    """November 2026: a TARI flow (Avviso di pagamento, ADVANCED), a Mensa flow
    (Comunicazione), single messages on TARI; one October message; one in December."""
    tari, mensa = services[TARI.name], services[MENSA.name]
    with sessions.begin() as s:
        avviso = _flow(s, tari, "TARI 2026", Natura.PAYMENT_NOTICE)
        menu = _flow(s, mensa, "Menù invernale", Natura.COMMUNICATION)
        advanced = {"feature_level": FeatureLevel.ADVANCED, "amount": 12_050}
        for i, (outcome, read, paid) in enumerate(
            [
                (Outcome.DELIVERED, "READ", "PAID"),
                (Outcome.DELIVERED, "READ", "NOT_PAID"),
                (Outcome.DELIVERED, "UNREAD", "NOT_PAID"),
                (Outcome.ACCEPTED, None, None),
                (Outcome.NOT_ON_IO, None, None),
                (Outcome.SERVICE_BLOCKED, None, None),
                (Outcome.ERROR, None, None),
                (Outcome.UNCERTAIN, None, None),
            ]
        ):
            _row(s, tari, outcome, _at(f"{3 + i:02d}/11/2026 10:00"), f"CITTADINO{i:07d}",
                 avviso, read_status=read, payment_status=paid, **advanced)  # fmt: skip
        _row(s, tari, Outcome.PENDING, _at("05/11/2026 10:00"), flow_id=avviso)  # not counted
        for i, outcome in enumerate([Outcome.DELIVERED, Outcome.NOT_ON_IO, Outcome.REJECTED]):
            _row(s, mensa, outcome, _at("10/11/2026 09:00"), f"CITTADINO{i:07d}", menu)
        # Single messages: the first of November at 00:30 Italian time is still UTC's
        # October; the 30th at 23:30 is UTC's too.
        _row(s, tari, Outcome.DELIVERED, _at("01/11/2026 00:30"), "CITTADINO0000000")
        _row(s, tari, Outcome.DELIVERED, _at("30/11/2026 23:30"), "SINGOLO00000001")
        _row(s, tari, Outcome.DELIVERED, _at("31/10/2026 23:30"), "SINGOLO00000002")
        _row(s, tari, Outcome.DELIVERED, _at("01/12/2026 00:10"), "SINGOLO00000003")
    return {"tari": tari, "mensa": mensa, "avviso": avviso, "menu": menu}


def test_a_rows_day_is_its_italian_day_every_half_hour_of_two_years(engine: Engine) -> None:
    """The SQL of the summaries against zoneinfo, every 30 minutes of 2026 and 2027 (the
    switches to and from summer time, every month's end)."""
    dialect = engine.dialect.name
    kind = "TIMESTAMP WITH TIME ZONE" if dialect == "postgresql" else "TEXT"
    moments = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=30 * i) for i in range(35040)]
    bind = UTCDateTime().dialect_impl(engine.dialect).bind_processor(engine.dialect)
    with engine.connect() as conn:
        conn.execute(
            text(f"CREATE TEMPORARY TABLE m (i INTEGER, sent_at {kind}, updated_at {kind},"
                 f" created_at {kind})")
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO m (i, sent_at) VALUES (:i, :t)"),
            [{"i": i, "t": bind(t) if bind else t} for i, t in enumerate(moments)],
        )
        found = dict(conn.execute(text(f"SELECT i, {day(dialect, 'm')} FROM m")).all())
    wrong = [
        (t.isoformat(), found[i])
        for i, t in enumerate(moments)
        if found[i] != int(t.astimezone(ROME).strftime("%Y%m%d"))
    ]
    assert wrong == []


def test_the_months_figures_per_service_with_their_shares(
    world: dict[str, int], session: Session
) -> None:
    found = report(session, ADMIN, StatsFilters(NOVEMBER))
    by_label = {g.label: g.figures for g in found.groups}
    assert by_label[TARI.name] == Figures(
        sent=10, accepted=6, delivered=5, not_on_io=1, service_disabled=1, errors=1,
        uncertain=1, advanced=4, advanced_read=2, advanced_paid=1, advanced_payments=4,
    )  # fmt: skip
    assert by_label[MENSA.name] == Figures(sent=3, accepted=1, delivered=1, not_on_io=1, errors=1)
    assert found.total.sent == 13
    assert found.total.share("accepted") == pytest.approx(7 / 13)
    assert by_label[TARI.name].share("advanced_read") == 0.5
    assert by_label[TARI.name].share("advanced_paid") == 0.25
    assert Figures().share("accepted") is None
    assert found.scope == "tutti i servizi"


def test_groupings_by_natura_flow_and_month(world: dict[str, int], session: Session) -> None:
    def groups(by: Grouping, period: Period = NOVEMBER) -> dict[str, int]:
        found = report(session, ADMIN, StatsFilters(period, by=by))
        return {g.label: g.figures.sent for g in found.groups}

    assert groups(Grouping.NATURA) == {
        "Avviso di pagamento": 8, "Comunicazione": 3, SINGLE_MESSAGES: 2,
    }  # fmt: skip
    assert groups(Grouping.FLOW) == {
        f"TARI 2026 (n. {world['avviso']})": 8,
        f"Menù invernale (n. {world['menu']})": 3,
        SINGLE_MESSAGES: 2,
    }
    autumn = Period(date(2026, 10, 1), date(2026, 12, 31))
    assert groups(Grouping.MONTH, autumn) == {
        "ottobre 2026": 1, "novembre 2026": 13, "dicembre 2026": 1,
    }  # fmt: skip
    trend = report(session, ADMIN, StatsFilters(NOVEMBER)).trend
    assert len(trend) == 12 and trend[-1].month == date(2026, 11, 1)
    assert [m.figures.sent for m in trend[-2:]] == [1, 13]


def test_a_period_of_days_counts_its_italian_days(world: dict[str, int], session: Session) -> None:
    first_days = Period(date(2026, 11, 1), date(2026, 11, 3))
    found = report(session, ADMIN, StatsFilters(first_days, by=Grouping.FLOW))
    assert {g.label: g.figures.sent for g in found.groups} == {
        f"TARI 2026 (n. {world['avviso']})": 1, SINGLE_MESSAGES: 1,
    }  # fmt: skip


def test_an_operator_sees_his_services_only_and_is_refused_another(
    world: dict[str, int], session: Session, viewer: Actor
) -> None:
    found = report(session, viewer, StatsFilters(NOVEMBER))
    assert [g.label for g in found.groups] == [TARI.name]
    assert found.scope == "i servizi abilitati per te"
    with pytest.raises(PermissionDenied, match="Non sei abilitato a questo servizio"):
        report(session, viewer, StatsFilters(NOVEMBER, service_id=world["mensa"]))
    with pytest.raises(PermissionDenied):
        reach(session, viewer, StatsFilters(NOVEMBER, service_id=world["mensa"]))


def test_citizens_reachable_count_each_citizen_once_a_month(
    world: dict[str, int], session: Session, viewer: Actor, operator: Actor
) -> None:
    months = {m.month: m for m in reach(session, ADMIN, StatsFilters(NOVEMBER))}
    november = months[date(2026, 11, 1)]
    # TARI: CITTADINO0..5 told (0..3 reachable) + SINGOLO1; Mensa: CITTADINO0, 1 (same
    # people: counted once). CITTADINO0's single message is on TARI too.
    assert (november.citizens, november.reachable) == (7, 5)
    assert november.share == pytest.approx(5 / 7)
    assert (months[date(2026, 10, 1)].citizens, months[date(2026, 10, 1)].reachable) == (1, 1)
    only_tari = {m.month: m for m in reach(session, viewer, StatsFilters(NOVEMBER))}
    assert (only_tari[date(2026, 11, 1)].citizens, only_tari[date(2026, 11, 1)].reachable) == (7, 5)
    # An operator on two of the three services: the distinct citizens of their entries.
    both = reach(session, operator, StatsFilters(NOVEMBER))[-1]
    assert (both.citizens, both.reachable) == (7, 5)
    mensa = reach(session, ADMIN, StatsFilters(NOVEMBER, service_id=world["mensa"]))[-1]
    assert (mensa.citizens, mensa.reachable) == (2, 1)


def test_changes_to_rows_move_the_counts_and_a_rebuild_agrees(
    world: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as s:
        # «Reinvia» of the error, the uncertain one marked as sent, a status read.
        s.execute(update(Notification).where(Notification.outcome == Outcome.ERROR)
                  .values(outcome=Outcome.PENDING))  # fmt: skip
        s.execute(update(Notification).where(Notification.outcome == Outcome.UNCERTAIN)
                  .values(outcome=Outcome.ACCEPTED))  # fmt: skip
        s.execute(update(Notification).where(Notification.read_status == "UNREAD")
                  .values(read_status="READ"))  # fmt: skip
    with sessions() as s:
        tari = next(
            g for g in report(s, ADMIN, StatsFilters(NOVEMBER)).groups if g.label == TARI.name
        )
        assert (tari.figures.sent, tari.figures.errors, tari.figures.uncertain) == (9, 0, 0)
        assert (tari.figures.accepted, tari.figures.advanced_read) == (7, 3)
        kept = snapshot(s)
        rebuild(s)
        assert snapshot(s) == kept


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("31/02/2026", "", "La data iniziale «31/02/2026» non è valida: scrivila come gg/mm/aaaa"),
        ("", "2026-11-30", "La data finale «2026-11-30» non è valida"),
        (
            "02/11/2026",
            "01/11/2026",
            "La data iniziale (02/11/2026) è dopo la data finale (01/11/2026)",
        ),
    ],
)
def test_a_period_typed_wrong_is_refused_in_italian(start: str, end: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        Period.typed(start, end, date(2026, 12, 5))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("", "", Period(date(2026, 12, 1), date(2026, 12, 31))),
        ("15/10/2026", "", Period(date(2026, 10, 15), date(2026, 12, 5))),
        ("", "10/11/2026", Period(date(2026, 11, 1), date(2026, 11, 10))),
        ("1/2/2026", "28.02.2026", Period(date(2026, 2, 1), date(2026, 2, 28))),
    ],
)
def test_a_period_typed(start: str, end: str, expected: Period) -> None:
    assert Period.typed(start, end, date(2026, 12, 5)) == expected


def test_the_excel_export_has_every_group_the_total_and_the_reach_and_is_audited(
    world: dict[str, int], session: Session, viewer: Actor
) -> None:
    buffer = io.BytesIO()
    assert write_stats(session, viewer, StatsFilters(NOVEMBER), buffer) == 1
    session.commit()
    book = load_workbook(buffer)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("Servizio", "Messaggi inviati", "Accettati da IO", "Accettati da IO %")
    assert rows[1][:4] == (TARI.name, 10, 6, 0.6)
    assert rows[2][0] == "Totale" and rows[2][1] == 10
    assert book.worksheets[0].cell(2, 4).number_format == "0.0%"
    info = dict(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert info["Cittadini raggiungibili, novembre 2026"] == "5 su 7 (71,4%)"
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.action == "export.stats"
    assert entry.operator == "lbianchi" and "novembre 2026" in entry.detail
