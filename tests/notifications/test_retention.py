"""The purge of personal data: after the retention period a message keeps its outcome and
loses its text, its file's columns and its notice number; the codice fiscale becomes a
stable pseudonym. Run by the worker once a day and by `appio purge`."""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.audit.models import AUDIT_LOG
from appio_core.cli import cli
from appio_core.config import ConfigError, load_settings
from appio_core.content.fiscal_code import PATTERN
from appio_core.domain import FlowState, Outcome
from appio_core.errors import Conflict
from appio_core.exports.workbooks import write_notifications
from appio_core.flows import actions, importing
from appio_core.flows.queries import list_recipients, outcome_counts
from appio_core.io.simulator import Kind
from appio_core.notifications import single
from appio_core.notifications.archive import NotificationFilters, search
from appio_core.notifications.detail import get_detail
from appio_core.notifications.request_keys import RequestKeyReused
from appio_core.notifications.retention import Retention, count_due, pseudonym, purge
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.notifications.status_refresh import refresh_status
from appio_core.sending import housekeeping
from appio_core.sending.housekeeping import Housekeeping
from appio_core.storage.db import make_engine, session_scope
from appio_core.storage.models import Flow, Notification, utcnow

from ..apptest import app_as
from ..conftest import TEST_SECRET_KEY
from ..flows.conftest import TEXT as FLOW_TEXT
from ..flows.conftest import fiscal_codes
from .conftest import TARI, citizen

Send = Callable[..., SingleResult]
SUBJECT = "Avviso TARI 2026"  # the flow's subject template: no placeholders
RETENTION = Retention(30, TEST_SECRET_KEY)
OLD = timedelta(days=40)
WORKER = Actor.worker()  # who cancels the stale flows


def test_a_pseudonym_is_stable_keyed_and_never_a_codice_fiscale() -> None:
    code = "RSSMRA80A01H501U"
    alias = pseudonym("chiave", code)
    assert alias == pseudonym("chiave", code.lower()) == pseudonym("chiave", alias)
    assert re.fullmatch(r"ps:[a-z2-7]{13}", alias) and len(alias) == 16
    assert not re.fullmatch(PATTERN, alias.upper())
    assert pseudonym("altra-chiave", code) != alias
    assert pseudonym("chiave,vecchia", code) == alias  # rotating: the first key counts
    assert pseudonym("chiave", "BNCLCU85T50F205X") != alias


def _flow(sessions: sessionmaker[Session], actor: Actor, service_id: int, codes: list[str]) -> int:
    lines = ["codice_fiscale;nome"] + [f"{cf};Cittadino {i}" for i, cf in enumerate(codes)]
    with session_scope(sessions) as session:
        return importing.import_flow(
            session,
            actor,
            service_id=service_id,
            name="TARI 2026",
            natura="Comunicazione",
            source=("\n".join(lines) + "\n").encode(),
            filename="tari.csv",
            templates=importing.Templates(SUBJECT, FLOW_TEXT),
        ).id


def _age(sessions: sessionmaker[Session], *ids: int, **values: object) -> None:
    """Rows over, sent and last touched `OLD` ago (and any other column given)."""
    then = utcnow() - OLD
    with session_scope(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(created_at=then, sent_at=then, updated_at=then, **values)
        )


@pytest.fixture
def archive(
    services: dict[str, int],
    sessions: sessionmaker[Session],
    operator: Actor,
    message: NewNotification,
    send: Send,
) -> dict[str, int]:
    """A flow of three (two old and over, one recent) and an old single message to the
    flow's first citizen."""
    codes = [message.fiscal_code, *fiscal_codes(2)]
    flow_id = _flow(sessions, operator, services[TARI.name], codes)
    with sessions() as session:
        first, second, third = session.scalars(
            select(Notification.id).where(Notification.flow_id == flow_id).order_by(Notification.id)
        )
    single_id = send(operator, message).id
    accepted = {
        "outcome": Outcome.ACCEPTED,
        "io_message_id": "01MSG",
        "notice_number": "301000000000000001",
    }
    _age(sessions, first, second, **accepted)
    _age(sessions, single_id, next_status_check_at=None, notice_number="301000000000000002")
    with session_scope(sessions) as session:
        session.execute(
            update(Notification).where(Notification.id == third).values(outcome=Outcome.ACCEPTED)
        )
        session.execute(update(Flow).where(Flow.id == flow_id).values(state=FlowState.SENT))
    return {"flow": flow_id, "first": first, "second": second, "third": third, "single": single_id}


def test_the_purge_removes_texts_and_columns_and_keeps_outcomes_and_counts(
    archive: dict[str, int], sessions: sessionmaker[Session], message: NewNotification
) -> None:
    with sessions() as session:
        counts = outcome_counts(session, archive["flow"])
        assert count_due(session, RETENTION, utcnow()) == 3
    run = purge(sessions, WORKER, RETENTION, utcnow())
    assert (run.purged, run.finished) == (3, True)
    with sessions() as session:
        rows = {r.id: r for r in session.scalars(select(Notification))}
        assert outcome_counts(session, archive["flow"]) == counts
    alias = pseudonym(TEST_SECRET_KEY, message.fiscal_code)
    first, second, third, single_row = (
        rows[archive[k]] for k in ("first", "second", "third", "single")
    )
    for row in (first, second, single_row):
        assert (row.markdown, row.extra, row.notice_number, row.purge_days) == ("", "{}", None, 30)
        assert row.purged_at is not None and row.fiscal_code.startswith("ps:")
        assert row.outcome == Outcome.ACCEPTED and row.sent_at is not None
    # The same citizen, the same pseudonym: in the flow and in the single message.
    assert first.fiscal_code == single_row.fiscal_code == alias != second.fiscal_code
    assert (first.subject, single_row.subject) == (SUBJECT, "")  # the flow's, the same for all
    assert (third.purged_at, third.markdown != "", third.extra != "{}") == (None, True, True)
    assert purge(sessions, WORKER, RETENTION, utcnow()).purged == 0  # nothing twice


def test_the_purge_drops_a_form_tokens_fingerprint_and_the_token_still_sends_nothing(
    sessions: sessionmaker[Session], operator: Actor, message: NewNotification, send: Send
) -> None:
    # The fingerprint hashes the codice fiscale with the text: personal data, guessable.
    first = send(operator, message, request_key="modulo-1")
    _age(sessions, first.id, next_status_check_at=None)
    assert purge(sessions, WORKER, RETENTION, utcnow()).purged == 1
    with sessions() as session:
        row = session.get(Notification, first.id)
        assert row is not None and row.request_key == "modulo-1"
        assert row.request_fingerprint is None
        sent = session.scalar(select(func.count()).select_from(Notification))
    with pytest.raises(RequestKeyReused):
        send(operator, message, request_key="modulo-1")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == sent


def test_searches_find_the_rows_kept_in_clear_and_purged_ones_by_pseudonym(
    archive: dict[str, int], sessions: sessionmaker[Session], message: NewNotification
) -> None:
    fresh = fiscal_codes(2)[1]  # the recent row's citizen
    purge(sessions, WORKER, RETENTION, utcnow())
    alias = pseudonym(TEST_SECRET_KEY, message.fiscal_code)
    admin = Actor.system()
    with sessions() as session:
        by_code = search(session, admin, NotificationFilters(fiscal_code=fresh.lower())).rows
        assert [r.id for r in by_code] == [archive["third"]]
        assert (
            search(session, admin, NotificationFilters(fiscal_code=message.fiscal_code)).total == 0
        )
        by_alias = search(session, admin, NotificationFilters(fiscal_code=f" {alias.upper()} "))
        assert sorted(r.id for r in by_alias.rows) == [archive["first"], archive["single"]]


def test_a_flows_recipients_are_found_by_code_or_pseudonym_as_in_the_archive(
    archive: dict[str, int], sessions: sessionmaker[Session], message: NewNotification
) -> None:
    fresh = fiscal_codes(2)[1]  # the recent row's citizen, kept in clear
    purge(sessions, WORKER, RETENTION, utcnow())
    alias = pseudonym(TEST_SECRET_KEY, message.fiscal_code)
    typed = {
        "the code as typed, spaces and small letters": f" {fresh[:6].lower()} {fresh[6:]} ",
        "the pseudonym as a purged row shows it": alias,
        "the pseudonym in capitals": f" {alias.upper()} ",
    }
    with sessions() as session:
        found = {
            what: [
                row.id
                for row in list_recipients(session, Actor.system(), archive["flow"], fiscal_code=t)
            ]
            for what, t in typed.items()
        }
    assert found == {
        "the code as typed, spaces and small letters": [archive["third"]],
        "the pseudonym as a purged row shows it": [archive["first"]],
        "the pseudonym in capitals": [archive["first"]],
    }


def test_rows_still_needed_are_kept_and_a_cancelled_flows_are_not(
    services: dict[str, int], sessions: sessionmaker[Session], operator: Actor
) -> None:
    codes = fiscal_codes(4)
    kept_flow = _flow(sessions, operator, services[TARI.name], codes[:3])
    cancelled = _flow(sessions, operator, services[TARI.name], codes[3:])
    with sessions() as session:
        pending, followed, touched = session.scalars(
            select(Notification.id).where(Notification.flow_id == kept_flow)
        )
        [never_sent] = session.scalars(
            select(Notification.id).where(Notification.flow_id == cancelled)
        )
    _age(sessions, pending, never_sent)  # still «da inviare»
    _age(sessions, followed, outcome=Outcome.ACCEPTED, next_status_check_at=utcnow())
    _age(sessions, touched, outcome=Outcome.ERROR)
    with session_scope(sessions) as session:
        session.execute(
            update(Notification).where(Notification.id == touched).values(updated_at=utcnow())
        )
        session.execute(update(Flow).where(Flow.id == cancelled).values(state=FlowState.CANCELLED))
    assert purge(sessions, WORKER, RETENTION, utcnow()).purged == 1
    with sessions() as session:
        purged = session.scalars(select(Notification.id).where(Notification.purged_at.is_not(None)))
        assert list(purged) == [never_sent]


def test_a_purged_message_is_never_sent_again_nor_its_status_read(
    archive: dict[str, int],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    operator: Actor,
) -> None:
    _age(
        sessions, archive["first"], archive["single"], outcome=Outcome.UNCERTAIN, io_message_id=None
    )
    _age(sessions, archive["second"], outcome=Outcome.ERROR, retryable=True, io_message_id=None)
    with session_scope(sessions) as session:
        session.execute(
            update(Flow).where(Flow.id == archive["flow"]).values(state=FlowState.INCOMPLETE)
        )
    purge(sessions, WORKER, RETENTION, utcnow())
    with pytest.raises(Conflict, match=r"non si\s+può più inviare di nuovo"):
        single.resend(sessions, operator, archive["single"], keybox, "simulator")
    with (
        pytest.raises(Conflict, match=r"si possono solo segnare come\s+inviati"),
        session_scope(sessions) as session,
    ):
        actions.resend_uncertain(session, operator, archive["flow"], [archive["first"]])
    with (
        pytest.raises(Conflict, match="Nessun destinatario da reinviare"),
        session_scope(sessions) as session,
    ):
        actions.retry_failed(session, operator, archive["flow"])
    with session_scope(sessions) as session:
        assert (
            actions.mark_uncertain_sent(session, operator, archive["flow"], [archive["first"]]) == 1
        )
        assert not get_detail(session, operator, archive["single"]).can_resend
    _age(sessions, archive["single"], io_message_id="01MSG")
    with pytest.raises(Conflict, match="IO non può più dirne lo stato"):
        refresh_status(sessions, operator, archive["single"], keybox, "simulator")


def test_the_detail_the_exports_and_the_cli_say_the_data_was_removed(
    archive: dict[str, int], sessions: sessionmaker[Session], operator: Actor
) -> None:
    purge(sessions, WORKER, RETENTION, utcnow())
    today = utcnow().astimezone().strftime("%d/%m/%Y")
    note = f"Dati rimossi dopo 30 giorni (il {today})"
    with sessions() as session:
        detail = get_detail(session, operator, archive["single"])
        assert detail.purge_note == note
        buffer = io.BytesIO()
        write_notifications(session, operator, NotificationFilters(), buffer)
    rows = list(load_workbook(buffer).worksheets[0].iter_rows(values_only=True))
    column = rows[0].index("Dati personali")
    assert sorted(str(r[column]) for r in rows[1:]) == [note, note, note, "None"]
    shown = CliRunner().invoke(cli, ["notification", "show", str(archive["single"])])
    assert f"{note}: contenuto e dati del file non più conservati." in shown.output
    page = app_as(operator, "pages/notifica.py", notification_id=archive["single"])
    assert page.info[0].value.startswith(note)
    facts = page.table[0].value
    assert facts.loc["Codice fiscale", "Valore"].endswith("(pseudonimo)")


def _purges(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(select(AUDIT_LOG.c.detail).where(AUDIT_LOG.c.action == "data.purge"))
        )


def test_the_worker_purges_once_a_day_in_rounds_whatever_the_workers(
    archive: dict[str, int], sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(housekeeping, "PURGE_BATCH", 1)
    monkeypatch.setattr(housekeeping, "PURGE_BATCHES_PER_ROUND", 2)
    now = [utcnow()]
    worker = Housekeeping(sessions, lambda: now[0], retention=RETENTION, worker_id="w1")
    worker.run_if_due()  # two of the three, then back to sending
    assert _purges(sessions) == []
    now[0] += timedelta(minutes=1)
    worker.run_if_due()  # the last one: the purge is over, and recorded
    [detail] = _purges(sessions)
    assert detail.startswith("3 notifiche ripulite")
    with sessions() as session:
        entry = session.execute(select(AUDIT_LOG).where(AUDIT_LOG.c.action == "data.purge")).one()
        assert (entry.operator, entry.origin) == ("appio-worker", "worker w1")
    for _ in range(3):
        now[0] += timedelta(minutes=1)
        worker.run_if_due()
    other = Housekeeping(sessions, lambda: now[0], retention=RETENTION, worker_id="w2")
    other.run_if_due()  # a second worker (or a restart): the log says it was done today
    assert len(_purges(sessions)) == 1
    now[0] += timedelta(days=1)
    other.run_if_due()
    worker.run_if_due()
    assert [d.split(" ")[0] for d in _purges(sessions)] == ["3", "0"]
    Housekeeping(sessions, lambda: now[0], retention=Retention(0, "k")).run_if_due()
    assert len(_purges(sessions)) == 2  # 0 days: never


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_appio_purge_counts_with_dry_run_then_purges(
    archive: dict[str, int], sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPIO_RETENTION_DAYS", "30")
    dry = run_cli("purge", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("3 notifiche da ripulire: concluse senza novità dal ")
    assert "Nulla è stato rimosso (--dry-run)." in dry.output
    refused = run_cli("--as", "mrossi", "purge")
    assert refused.output == "Errore: Solo un amministratore può rimuovere i dati personali.\n"
    done = run_cli("purge")
    assert done.exit_code == 0 and done.output.startswith("3 notifiche ripulite")
    with sessions() as session:
        purged = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.purged_at.is_not(None))
        )
        assert purged == 3
        operators = session.scalars(
            select(AUDIT_LOG.c.operator + " " + AUDIT_LOG.c.outcome).where(
                AUDIT_LOG.c.action == "data.purge"
            )
        )
        assert list(operators) == ["mrossi rifiutato", "appio-cli riuscito"]
    monkeypatch.setenv("APPIO_RETENTION_DAYS", "0")
    assert run_cli("purge").output.startswith("Conservazione illimitata (APPIO_RETENTION_DAYS=0)")


def test_appio_purge_dry_run_is_an_administrators_question_too(
    archive: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPIO_RETENTION_DAYS", "30")
    refused = run_cli("--as", "mrossi", "purge", "--dry-run")
    assert (refused.exit_code, refused.output) == (
        1,
        "Errore: Solo un amministratore può contare i dati personali da rimuovere.\n",
    )
    assert run_cli("purge", "--dry-run").output.startswith("3 notifiche da ripulire")


@pytest.mark.parametrize(
    ("value", "days"),
    [(None, 365), ("0", 0), ("7", 7), (" 90 ", 90), ("3", None), ("un anno", None)],
)
def test_the_retention_setting(value: str | None, days: int | None, tmp_path: Path) -> None:
    env = {"APPIO_SECRET_KEY": TEST_SECRET_KEY, "APPIO_DATA_DIR": str(tmp_path)}
    if value is not None:
        env["APPIO_RETENTION_DAYS"] = value
    if days is None:
        with pytest.raises(ConfigError, match="0 \\(conserva tutto\\) oppure almeno 7"):
            load_settings(env)
    else:
        assert load_settings(env).retention_days == days


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_the_key_and_the_database_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    data = tmp_path / "nuova"
    simulator = {"APPIO_IO_BASE_URL": "simulator"}  # a key may be generated for it
    settings = load_settings({"APPIO_DATA_DIR": str(data), **simulator})  # a new key, a new dir
    assert (_mode(data), _mode(data / "secret.key")) == (0o700, 0o600)
    make_engine(settings.database_url).dispose()  # sqlite:///nuova/appio.db
    database = data / "appio.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
    engine.dispose()
    assert _mode(database) == 0o600
    # An installation from before: group and others could read everything.
    data.chmod(0o755)
    database.chmod(0o644)
    load_settings({"APPIO_DATA_DIR": str(data), **simulator})
    make_engine(f"sqlite:///{database}").dispose()
    assert (_mode(data), _mode(database)) == (0o700, 0o600)
    assert os.stat(database).st_uid == os.getuid()


def test_a_purged_row_shows_no_reinvia_on_its_page(
    archive: dict[str, int], sessions: sessionmaker[Session], operator: Actor
) -> None:
    _age(sessions, archive["single"], outcome=Outcome.UNCERTAIN, io_message_id=None)
    purge(sessions, WORKER, RETENTION, utcnow())
    page = app_as(operator, "pages/notifica.py", notification_id=archive["single"])
    labels = [b.label for b in page.button]
    assert "Segna come inviata" in labels and "Reinvia" not in labels
    assert citizen(Kind.WITH_IO) not in str(page.table[0].value)


def test_counts_of_a_long_purge_hold_on_both_databases(
    services: dict[str, int], sessions: sessionmaker[Session], operator: Actor
) -> None:
    codes = fiscal_codes(25, seed=7)
    flow_id = _flow(sessions, operator, services[TARI.name], codes)
    with sessions() as session:
        ids = list(session.scalars(select(Notification.id).where(Notification.flow_id == flow_id)))
    _age(sessions, *ids, outcome=Outcome.NOT_ON_IO)
    first = purge(sessions, WORKER, RETENTION, utcnow(), max_batches=2, size=10)
    rest = purge(sessions, WORKER, RETENTION, utcnow(), size=10)
    assert (first.purged, first.finished, rest.purged, rest.finished) == (20, False, 5, True)
    assert isinstance(first.cutoff, datetime)
