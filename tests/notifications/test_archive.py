"""The archive: one query over flows' recipients and single messages, filtered, paged and
sorted by the database, limited to the services the operator may see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.domain import Outcome, Role
from appio_core.flows import importing
from appio_core.io.simulator import Kind
from appio_core.notifications.archive import (
    NotificationFilters,
    Sort,
    SortKey,
    count,
    iter_rows,
    search,
)
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.storage.models import Notification

from ..flows.conftest import TEXT as FLOW_TEXT
from ..flows.conftest import recipient_csv
from .conftest import MENSA, TARI, citizen, role_actor

Send = Callable[..., SingleResult]


@pytest.fixture
def archive(
    send: Send,
    operator: Actor,
    message: NewNotification,
    services: dict[str, int],
    sessions: sessionmaker[Session],
) -> dict[str, object]:
    """A flow of 3 on TARI, 2 single messages (TARI, Mensa) and one not on IO."""
    codes = [citizen(Kind.WITH_IO, i) for i in range(3)]
    with sessions.begin() as session:
        flow = importing.import_flow(
            session,
            Actor.system(),
            service_id=services[TARI.name],
            name="TARI acconto",
            natura="Comunicazione",
            source=recipient_csv(codes),
            filename="tari.csv",
            templates=importing.Templates("Avviso TARI per {{nome}}", FLOW_TEXT),
        )
        flow_id = flow.id
    single_tari = send(operator, message, fiscal_code=codes[0], subject="Rimborso TARI 2025")
    single_mensa = send(
        operator,
        message,
        service_id=services[MENSA.name],
        fiscal_code=citizen(Kind.WITH_IO, 7, MENSA.io_service_id),
        subject="Buono mensa",
    )
    not_on_io = send(operator, message, fiscal_code=citizen(Kind.WITHOUT_IO))
    return {
        "flow_id": flow_id,
        "codes": codes,
        "single_tari": single_tari.id,
        "single_mensa": single_mensa.id,
        "not_on_io": not_on_io.id,
    }


def _ids(session: Session, actor: Actor, **filters: object) -> list[int]:
    return [r.id for r in search(session, actor, NotificationFilters(**filters)).rows]  # type: ignore[arg-type]


def test_one_search_finds_every_message_to_a_citizen_flows_and_single_alike(
    archive: dict[str, object], session: Session
) -> None:
    code = archive["codes"][0]  # type: ignore[index]
    rows = search(session, Actor.system(), NotificationFilters(fiscal_code=code.lower())).rows
    assert [(r.flow_id is None, r.subject) for r in rows] == [
        (True, "Rimborso TARI 2025"),
        (False, "Avviso TARI per Cittadino 0"),
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"only_single": True}, ["not_on_io", "single_mensa", "single_tari"]),
        ({"outcome": Outcome.NOT_ON_IO}, ["not_on_io"]),
        ({"subject_contains": "mensa"}, ["single_mensa"]),
        ({"author": "MROSSI", "subject_contains": "rimborso"}, ["single_tari"]),
    ],
)
def test_each_filter_narrows_the_archive(
    archive: dict[str, object],
    session: Session,
    filters: dict[str, object],
    expected: list[str],
) -> None:
    assert _ids(session, Actor.system(), **filters) == [archive[name] for name in expected]


def test_a_flow_is_found_by_number_or_by_name(archive: dict[str, object], session: Session) -> None:
    by_number = _ids(session, Actor.system(), flow=str(archive["flow_id"]))
    by_name = _ids(session, Actor.system(), flow="acconto")
    assert len(by_number) == 3
    assert by_name == by_number


def test_io_message_id_and_service_and_io_status_filter(
    archive: dict[str, object], session: Session, services: dict[str, int]
) -> None:
    row = session.get(Notification, archive["single_mensa"])
    assert row is not None and row.io_message_id
    assert _ids(session, Actor.system(), io_message_id=row.io_message_id.lower()) == [row.id]
    assert _ids(session, Actor.system(), service_id=services[MENSA.name]) == [row.id]
    session.execute(
        update(Notification).where(Notification.id == row.id).values(io_status="PROCESSED")
    )
    assert _ids(session, Actor.system(), io_status="PROCESSED") == [row.id]
    never_read = _ids(session, Actor.system(), io_status="")
    assert row.id not in never_read and archive["single_tari"] in never_read


def test_sent_dates_are_italian_calendar_days(archive: dict[str, object], session: Session) -> None:
    # 23:30 UTC on 31 December is already 1 January in Rome.
    session.execute(
        update(Notification)
        .where(Notification.id == archive["single_tari"])
        .values(sent_at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    )
    new_year = date(2026, 1, 1)
    assert _ids(session, Actor.system(), sent_from=new_year, sent_to=new_year) == [
        archive["single_tari"]
    ]
    assert _ids(session, Actor.system(), sent_to=date(2025, 12, 31)) == []


def test_pages_come_from_the_database_with_the_total(
    archive: dict[str, object], session: Session
) -> None:
    everything = [r.id for r in iter_rows(session, Actor.system(), NotificationFilters())]
    assert len(everything) == count(session, Actor.system(), NotificationFilters()) == 6
    pages = [
        search(session, Actor.system(), NotificationFilters(), page=n, page_size=4)
        for n in (1, 2, 3)
    ]
    assert [p.total for p in pages] == [6, 6, 6]
    assert [p.number for p in pages] == [1, 2, 2]  # past the end: the last page
    assert [r.id for r in pages[0].rows + pages[1].rows] == everything
    assert everything == sorted(everything, reverse=True)  # newest first


@pytest.mark.parametrize("key", list(SortKey))
def test_every_sort_key_orders_the_whole_archive_not_just_a_page(
    archive: dict[str, object], session: Session, key: SortKey
) -> None:
    filters = NotificationFilters()
    both = []
    for descending in (False, True):
        sort = Sort(key, descending)
        paged = [
            r.id
            for n in (1, 2)
            for r in search(session, Actor.system(), filters, sort=sort, page=n, page_size=3).rows
        ]
        assert paged == [r.id for r in iter_rows(session, Actor.system(), filters, sort)]
        both.append(paged)
    assert sorted(both[0]) == sorted(both[1])


def test_an_operator_sees_only_the_services_enabled_for_them(
    archive: dict[str, object], session: Session, services: dict[str, int]
) -> None:
    tari_only = role_actor(session, "tari", Role.VIEWER, TARI.name)
    nobody = role_actor(session, "nessuno", Role.OPERATOR)
    seen = _ids(session, tari_only)
    assert archive["single_mensa"] not in seen and len(seen) == 5
    assert _ids(session, nobody) == []
    assert _ids(session, tari_only, service_id=services[MENSA.name]) == []
