"""The archives at size: 100,000 flows and 2,000,000 notifications, on SQLite and PostgreSQL.

Measures, through the same core functions the pages call:
- the first page (with the total count) of a filtered notifications search, of a search by
  codice fiscale, of the unfiltered archive, of a filtered flows search;
- the query plan of each (which index answers it);
- an Excel export of 100,000 notifications: time and peak memory of the exporting process.

    .venv/bin/python bench/bench_archive.py --backend sqlite
    .venv/bin/python bench/bench_archive.py --backend postgres \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test

The database is built once per backend under bench/out/ (SQLite) or in a database of its
own (PostgreSQL, dropped with --drop); later runs reuse it. Results go to stdout as a table.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import statistics
import string
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from appio_core.accounts.permissions import Actor  # noqa: E402
from appio_core.domain import Outcome, Role  # noqa: E402
from appio_core.flows.queries import FlowFilters, search_flows  # noqa: E402
from appio_core.notifications.archive import NotificationFilters, search  # noqa: E402
from appio_core.storage.db import make_engine, make_sessionmaker  # noqa: E402
from appio_core.storage.migrate import upgrade  # noqa: E402

FLOWS = 100_000
NOTIFICATIONS = 2_000_000
SERVICES = 8
SINGLES = 100_000  # of the notifications, sent with «Nuovo»
CITIZENS = 400_000  # distinct codici fiscali: each gets about 5 messages
START = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 700
OUTCOMES = [
    (Outcome.DELIVERED, 0.72),
    (Outcome.ACCEPTED, 0.08),
    (Outcome.NOT_ON_IO, 0.12),
    (Outcome.SERVICE_BLOCKED, 0.04),
    (Outcome.ERROR, 0.03),
    (Outcome.UNCERTAIN, 0.01),
]
OUT = ROOT / "bench" / "out"


def _citizen(rng: random.Random) -> str:
    letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(6))
    return f"{letters}{rng.randrange(100):02d}A{rng.randrange(1, 29):02d}H501{rng.choice('XYZ')}"


def _stamp(engine: Engine, moment: datetime) -> Any:
    from appio_core.storage.models import UTCDateTime

    process = UTCDateTime().dialect_impl(engine.dialect).bind_processor(engine.dialect)
    return process(moment) if process else moment


def build(engine: Engine, url: str) -> None:
    """The schema by the real migrations, then the rows in bulk (driver executemany / COPY)."""
    upgrade(url)
    rng = random.Random(7)
    now = _stamp(engine, START)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO io_accounts (id, name, rate_limit_requests, rate_limit_window_seconds)"
                " VALUES (1, 'ente', 150, 5)"
            )
        )
        for sid in range(1, SERVICES + 1):
            conn.execute(
                text(
                    "INSERT INTO services (id, name, io_service_id, organization_name,"
                    " organization_fiscal_code, primary_key_encrypted, primary_key_last4,"
                    " max_payment_amount, account_id, active, created_at, updated_at) VALUES"
                    " (:id, :name, :io, '', '', 'x', 'abcd', 1000000, 1, true, :now, :now)"
                ),
                {"id": sid, "name": f"Servizio {sid}", "io": f"S{sid:03d}", "now": now},
            )
        conn.execute(
            text(
                "INSERT INTO operators (id, username, full_name, role, active, password_hash,"
                " created_at) VALUES (1, 'op', '', 'operatore', true, 'x', :now)"
            ),
            {"now": now},
        )
        conn.execute(text("INSERT INTO service_operators VALUES (3, 1), (5, 1)"))
    flows = []
    for fid in range(1, FLOWS + 1):
        created = START + timedelta(days=DAYS * fid / FLOWS)
        flows.append(
            {
                "id": fid,
                "name": f"Flusso {fid} {rng.choice(['TARI', 'Mensa', 'CIE', 'IMU', 'Scuola'])}",
                "description": "",
                "natura": "Comunicazione",
                "service_id": rng.randrange(1, SERVICES + 1),
                "created_by": rng.choice(["mrossi", "lbianchi", "admin"]),
                "state": rng.choice(["Inviato", "Invio incompleto", "Annullato"]),
                "created_at": _stamp(engine, created),
                "updated_at": _stamp(engine, created),
                "source_filename": "f.csv",
                "source_checksum": f"{fid:064d}",
                "check_profile": True,
                "feature_level": "STANDARD",
                "status_check_hours": 48,
                "recipients_total": 0,
            }
        )
    with engine.begin() as conn:
        columns = ", ".join(flows[0])
        values = ", ".join(f":{c}" for c in flows[0])
        conn.execute(text(f"INSERT INTO flows ({columns}) VALUES ({values})"), flows)
    citizens = [_citizen(rng) for _ in range(CITIZENS)]
    outcomes, weights = zip(*OUTCOMES, strict=True)
    per_flow = (NOTIFICATIONS - SINGLES) // FLOWS
    rows: list[tuple[Any, ...]] = []

    def flush() -> None:
        _insert(engine, rows)
        rows.clear()

    nid = 0
    for fid in range(1, FLOWS + 1):
        flow = flows[fid - 1]
        base = START + timedelta(days=DAYS * fid / FLOWS)
        for row_number in range(2, per_flow + 2):
            nid += 1
            rows.append(_row(engine, rng, nid, fid, flow["service_id"], row_number, base,
                             citizens, outcomes, weights, flow["created_by"]))  # fmt: skip
        if len(rows) >= 50_000:
            flush()
    for _ in range(SINGLES):
        nid += 1
        base = START + timedelta(days=rng.random() * DAYS)
        rows.append(_row(engine, rng, nid, None, rng.randrange(1, SERVICES + 1), None, base,
                         citizens, outcomes, weights, "mrossi"))  # fmt: skip
        if len(rows) >= 50_000:
            flush()
    flush()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('notifications','id'), :n)"),
                         {"n": nid})  # fmt: skip
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            # The flows' rows went in as raw INSERTs: the FTS table of «Oggetto contiene»
            # takes them as the import would (the singles' trigger indexed those).
            conn.execute(text("INSERT INTO notifications_subject_fts(notifications_subject_fts)"
                              " VALUES ('rebuild')"))  # fmt: skip
            conn.execute(text("ANALYZE"))


COLUMNS = (
    "id, flow_id, service_id, row_number, created_by, created_at, fiscal_code, subject,"
    " markdown, feature_level, extra, outcome, attempts, retryable, sent_at, io_message_id,"
    " http_status, io_status"
)


def _row(
    engine: Engine,
    rng: random.Random,
    nid: int,
    flow_id: int | None,
    service_id: int,
    row_number: int | None,
    base: datetime,
    citizens: list[str],
    outcomes: tuple[Outcome, ...],
    weights: tuple[float, ...],
    author: str,
) -> tuple[Any, ...]:
    outcome = rng.choices(outcomes, weights)[0]
    sent = outcome in (Outcome.DELIVERED, Outcome.ACCEPTED)
    sent_at = _stamp(engine, base + timedelta(minutes=rng.randrange(600))) if sent else None
    return (
        nid,
        flow_id,
        service_id,
        row_number,
        author,
        _stamp(engine, base),
        rng.choice(citizens),
        f"Avviso {rng.choice(['TARI', 'mensa', 'CIE', 'IMU'])} n. {nid}",
        "Gentile cittadino, " + "testo del messaggio. " * 8,
        "STANDARD",
        "{}",
        outcome.value,
        1,
        False,
        sent_at,
        f"01J{nid:023d}" if sent else None,
        201 if sent else 404,
        "PROCESSED" if outcome == Outcome.DELIVERED else None,
    )


def _insert(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    with engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if engine.dialect.name == "postgresql":
            with (
                raw.cursor() as cursor,
                cursor.copy(  # type: ignore[attr-defined]
                    f"COPY notifications ({COLUMNS}) FROM STDIN"
                ) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(COLUMNS.split(",")))
            raw.cursor().executemany(
                f"INSERT INTO notifications ({COLUMNS}) VALUES ({marks})", rows
            )


def _timed(call: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _plan(engine: Engine, sql: str, params: dict[str, Any]) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            lines = conn.execute(text(f"EXPLAIN {sql}"), params).scalars().all()
        else:
            lines = [r[-1] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"), params)]
    return " | ".join(str(line).strip() for line in lines)


def measure(engine: Engine, url: str) -> list[dict[str, Any]]:
    sessions = make_sessionmaker(engine)
    admin = Actor.system()
    operator = Actor(1, "op", "", Role.OPERATOR)  # enabled on 2 of the 8 services
    with sessions() as session:
        some_citizen = session.scalar(text("SELECT fiscal_code FROM notifications WHERE id = 777"))
    cases: list[tuple[str, Actor, Callable[[Any], object]]] = [
        (
            "notifications: service + outcome + one month",
            admin,
            lambda s: search(
                s,
                admin,
                NotificationFilters(
                    service_id=3,
                    outcome=Outcome.DELIVERED,
                    sent_from=date(2025, 6, 1),
                    sent_to=date(2025, 6, 30),
                ),
            ),
        ),
        (
            "notifications: codice fiscale",
            admin,
            lambda s: search(s, admin, NotificationFilters(fiscal_code=some_citizen)),
        ),
        (
            "notifications: codice fiscale, operator on 2 services",
            operator,
            lambda s: search(s, operator, NotificationFilters(fiscal_code=some_citizen)),
        ),
        (
            "notifications: no filter (newest first)",
            admin,
            lambda s: search(s, admin, NotificationFilters()),
        ),
        (
            "notifications: one flow's recipients",
            admin,
            lambda s: search(s, admin, NotificationFilters(flow="54321")),
        ),
        (
            "flows: service + name contains",
            admin,
            lambda s: search_flows(s, admin, FlowFilters(service_id=3, text="tari")),
        ),
    ]
    results = []
    for name, _actor, call in cases:
        with sessions() as session:
            page = call(session)
            seconds = _timed(lambda: call(session))  # noqa: B023 - run now, in the loop
        results.append({"case": name, "seconds": round(seconds, 3), "total": page.total})  # type: ignore[attr-defined]
    plans = {
        "service + outcome + month": (
            "SELECT id FROM notifications WHERE service_id = :s AND outcome = :o AND sent_at >= :a"
            " AND sent_at < :b ORDER BY id DESC LIMIT 50",
            {
                "s": 3,
                "o": "consegnato",
                "a": _stamp(engine, datetime(2025, 6, 1, tzinfo=UTC)),
                "b": _stamp(engine, datetime(2025, 7, 1, tzinfo=UTC)),
            },
        ),
        "codice fiscale": (
            "SELECT id FROM notifications WHERE fiscal_code = :c ORDER BY id DESC LIMIT 50",
            {"c": some_citizen},
        ),
    }
    for name, (sql, params) in plans.items():
        results.append({"case": f"plan: {name}", "plan": _plan(engine, sql, params)})
    return results


def export_child(url: str) -> None:
    """Runs in a child process so that its peak memory is the export's alone."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    from appio_core.exports.workbooks import write_notifications

    start = time.perf_counter()
    buffer = io.BytesIO()
    with sessions() as session:
        # The single messages: exactly SINGLES (100,000) rows, spread over the whole table.
        count = write_notifications(
            session, Actor.system(), NotificationFilters(only_single=True), buffer
        )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": count, "seconds": round(seconds, 2), "peak_mb": round(peak),
                      "bytes": len(buffer.getvalue())}))  # fmt: skip


def export(url: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--export-child", url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--drop", action="store_true", help="Rebuild the database.")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(args.export_child)
        return
    if args.backend == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / "archive.db"
        if args.drop:
            path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        fresh = not path.exists()
    else:
        name = "appio_bench_archive"
        admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and args.drop:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = None
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
        fresh = not exists
    engine = make_engine(url)
    if fresh:
        start = time.perf_counter()
        build(engine, url)
        print(f"built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    for line in measure(engine, url):
        print(json.dumps(line, ensure_ascii=False))
    print(json.dumps({"case": "export", **export(url)}))


if __name__ == "__main__":
    main()
