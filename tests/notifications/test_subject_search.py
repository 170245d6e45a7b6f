"""«Oggetto contiene» through its index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL): the
same rows a case-insensitive «contains» finds, accents and case alike, on both databases;
the index follows every insert, change, delete and purge; 1-2 characters are scanned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.domain import FeatureLevel, Outcome
from appio_core.flows import importing
from appio_core.io.simulator import Kind
from appio_core.notifications import archive
from appio_core.notifications.archive import NotificationFilters, count, iter_rows, search
from appio_core.notifications.retention import Retention, purge
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.paging import Page
from appio_core.storage.db import session_scope
from appio_core.storage.models import Notification, utcnow
from appio_core.storage.subject_search import FTS_TABLE
from appio_ui.grid import page_caption

from ..conftest import TEST_SECRET_KEY
from ..flows.conftest import TEXT as FLOW_TEXT
from ..flows.conftest import recipient_csv
from .conftest import MENSA, TARI, citizen

SUBJECTS = [
    "Avviso TARI per la città",
    "CITTÀ DI ROMA: RIMBORSO",
    "Tassa citta (senza accento)",
    "Sconto 50% sulla mensa",
    "codice a_b del servizio",
    "Perché è così",
    "ÈLITE è già qui",
    "ab",
]
NEEDLES = [
    "città", "CITTÀ", "Città", "citta", "à d", "tà", "À", "à", "è", "È", "élite", "TARI",
    "tari per", "50%", "0%", "%", "a_b", "_", "ab", "a", "rimborso", "nessuno", "ì", "É",
]  # fmt: skip


def _store(session: Session, service_id: int, subject: str) -> int:
    row = Notification(
        service_id=service_id,
        created_by="mrossi",
        created_at=utcnow(),
        fiscal_code="RSSMRA80A01H501U",
        subject=subject,
        markdown="Testo",
        feature_level=FeatureLevel.STANDARD,
        extra="{}",
        outcome=Outcome.DELIVERED,
        attempts=1,
        retryable=False,
    )
    session.add(row)
    session.flush()
    return row.id


@pytest.fixture
def stored(services: dict[str, int], sessions: sessionmaker[Session]) -> dict[str, int]:
    """The subjects above on Tributi, «mensa per la città» on Mensa: subject -> id."""
    with session_scope(sessions) as session:
        ids = {s: _store(session, services[TARI.name], s) for s in SUBJECTS}
        ids["mensa per la città"] = _store(session, services[MENSA.name], "mensa per la città")
    return ids


def _found(session: Session, words: str, actor: Actor | None = None) -> list[int]:
    page = search(session, actor or Actor.system(), NotificationFilters(subject_contains=words))
    return [row.id for row in page.rows]


@pytest.mark.parametrize("words", NEEDLES)
def test_the_subject_search_finds_what_a_case_insensitive_contains_finds(
    stored: dict[str, int], session: Session, words: str
) -> None:
    """Every letter's case folded, «À» as «à»; accents count («citta» is not «città»)."""
    expected = sorted(
        (i for s, i in stored.items() if words.lower() in s.lower()), reverse=True
    )  # newest first
    assert _found(session, words) == expected
    assert count(session, Actor.system(), NotificationFilters(subject_contains=words)) == len(
        expected
    )
    rows = iter_rows(session, Actor.system(), NotificationFilters(subject_contains=words))
    assert [r.id for r in rows] == expected  # the export's and the CLI's reading


def test_the_text_search_goes_with_the_other_filters_and_the_operators_services(
    stored: dict[str, int], session: Session, services: dict[str, int], operator: Actor
) -> None:
    both = NotificationFilters(subject_contains="città")
    assert len(search(session, Actor.system(), both).rows) == 3
    on_mensa = NotificationFilters(subject_contains="città", service_id=services[MENSA.name])
    assert [r.id for r in search(session, Actor.system(), on_mensa).rows] == [
        stored["mensa per la città"]
    ]
    by_author = NotificationFilters(subject_contains="CITTÀ", author="lbianchi")
    assert search(session, Actor.system(), by_author).total == 0


def test_the_index_follows_changes_and_deletes(
    stored: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    changed, removed = stored["Sconto 50% sulla mensa"], stored["ÈLITE è già qui"]
    with session_scope(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == changed)
            .values(subject="Sconto sul trasporto scolastico")
        )
        session.execute(delete(Notification).where(Notification.id == removed))
    with sessions() as session:
        assert _found(session, "sulla mensa") == []
        assert _found(session, "TRASPORTO") == [changed]
        assert _found(session, "élite") == []
        assert _found(session, "già") == []


def test_a_flows_imported_rows_and_a_single_message_are_found(
    services: dict[str, int],
    sessions: sessionmaker[Session],
    operator: Actor,
    message: NewNotification,
    send: Callable[..., SingleResult],
) -> None:
    """The import indexes its rows in one statement, a single message by the trigger."""
    codes = [citizen(Kind.WITH_IO, i) for i in range(3)]
    with session_scope(sessions) as session:
        flow_id = importing.import_flow(
            session,
            Actor.system(),
            service_id=services[TARI.name],
            name="TARI acconto",
            natura="Comunicazione",
            source=recipient_csv(codes),
            filename="tari.csv",
            templates=importing.Templates("Acconto TARI per {{nome}}", FLOW_TEXT),
        ).id
    single = send(operator, message, subject="Acconto mensa per Cittadino 1").id
    with sessions() as session:
        rows = search(session, Actor.system(), NotificationFilters(subject_contains="ACCONTO"))
        assert [(r.flow_id, r.subject) for r in rows.rows] == [
            (None, "Acconto mensa per Cittadino 1"),
            (flow_id, "Acconto TARI per Cittadino 2"),
            (flow_id, "Acconto TARI per Cittadino 1"),
            (flow_id, "Acconto TARI per Cittadino 0"),
        ]
        assert _found(session, "per cittadino 1")[0] == single


def test_the_purge_takes_the_subject_out_of_the_index(
    sessions: sessionmaker[Session],
    operator: Actor,
    message: NewNotification,
    send: Callable[..., SingleResult],
    backend: str,
) -> None:
    sent = send(operator, message, subject="Rimborso per la città di Roma").id
    then = utcnow() - timedelta(days=40)
    with session_scope(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == sent)
            .values(created_at=then, sent_at=then, updated_at=then, next_status_check_at=None)
        )
        assert _found(session, "città di roma") == [sent]
    assert purge(sessions, Actor.worker(), Retention(30, TEST_SECRET_KEY), utcnow()).purged == 1
    with sessions() as session:
        assert _found(session, "città di roma") == []
        if backend == "sqlite":  # the FTS table itself no longer has its words
            phrase = '"città di roma"'
            matches = session.execute(
                text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :p"), {"p": phrase}
            ).all()
            assert matches == []


def test_a_large_text_match_is_counted_up_to_the_cap_unless_the_fts_table_counts_it(
    stored: dict[str, int],
    session: Session,
    services: dict[str, int],
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counting a text search reads each match from the table: past the cap the page says
    «oltre». SQLite's FTS table counts the text alone exactly; the CLI's count is exact."""
    monkeypatch.setattr(archive, "COUNT_CAP", 2)
    with_service = NotificationFilters(subject_contains="ITT", service_id=services[TARI.name])
    page = search(session, Actor.system(), with_service, page_size=2)
    assert (page.total, page.more, [r.id for r in page.rows]) == (
        2,
        True,
        [stored["Tassa citta (senza accento)"], stored["CITTÀ DI ROMA: RIMBORSO"]],
    )
    alone = search(session, Actor.system(), NotificationFilters(subject_contains="ITT"))
    assert (alone.total, alone.more) == ((4, False) if backend == "sqlite" else (2, True))
    short = search(session, Actor.system(), NotificationFilters(subject_contains="a"))
    assert (short.total, short.more) == (2, True)  # 1-2 characters: a scan, capped too
    assert count(session, Actor.system(), with_service) == 3
    assert count(session, Actor.system(), NotificationFilters(subject_contains="a")) == 7
    few = search(session, Actor.system(), NotificationFilters(subject_contains="roma"))
    assert (few.total, few.more) == (1, False)


def test_a_capped_total_reads_oltre_in_the_caption() -> None:
    page: Page[int] = Page(rows=list(range(50)), total=10_000, number=2, size=50, more=True)
    assert page_caption(page, ("notifica", "notifiche")) == (
        "Righe 51-100 di oltre 10.000 notifiche (pagina 2 di oltre 200):"
        " restringi la ricerca per vederle tutte."
    )
