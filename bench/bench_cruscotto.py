"""The «Cruscotto» at size: 2,000,000 notifications over 23 months (the database of
bench/bench_archive.py, built by its generator), on SQLite and PostgreSQL.

Measures, through the same core functions the page calls:
- the first figures: one month per service (the page's default), for an administrator
  (8 services) and an operator (2); with the trend of 12 months in the same call;
- the whole period (23 months) per month and per flow (100,000 groups);
- «Cittadini raggiungibili» month by month (distinct citizens): all services, the
  operator's 2, one service;
- the same figures from the rows (GROUP BY over notifications): why the summaries exist;
- what the triggers cost a write: 20,000 status reads (executemany UPDATE, outcome and
  read status), with the triggers and without them (dropped inside a rolled-back
  transaction);
- a rebuild of both summaries from the rows.

    .venv/bin/python bench/bench_cruscotto.py --backend sqlite
    .venv/bin/python bench/bench_cruscotto.py --backend postgres \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test

The database is built once per backend (bench/out/cruscotto.db, or the PostgreSQL database
appio_bench_cruscotto, dropped with --drop); later runs reuse it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_archive  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from appio_core.accounts.permissions import Actor  # noqa: E402
from appio_core.domain import Role  # noqa: E402
from appio_core.notifications.stats.figures import (  # noqa: E402
    Grouping,
    Period,
    StatsFilters,
    reach,
    report,
)
from appio_core.notifications.stats.rebuild import rebuild  # noqa: E402
from appio_core.notifications.stats.sql import FINAL, drop_triggers  # noqa: E402
from appio_core.storage.db import make_engine, make_sessionmaker  # noqa: E402

MONTH = Period.month_of(date(2026, 11, 1))  # the data's last whole month
WHOLE = Period(date(2025, 1, 1), date(2026, 11, 30))


def _timed(call: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """The first call (cold for this process) and the median of the next ones."""
    times = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    rest = sorted(times[1:])
    return times[0], rest[len(rest) // 2]


def measure(engine: Engine) -> list[dict[str, Any]]:
    sessions = make_sessionmaker(engine)
    admin = Actor.system()
    operator = Actor(1, "op", "", Role.OPERATOR)  # enabled on services 3 and 5
    cases: list[tuple[str, Callable[[Any], object]]] = [
        ("first figures: month per service, admin (8 services) + trend 12 months",
         lambda s: report(s, admin, StatsFilters(MONTH))),
        ("first figures: month per service, operator (2 services) + trend",
         lambda s: report(s, operator, StatsFilters(MONTH))),
        ("month per natura, admin",
         lambda s: report(s, admin, StatsFilters(MONTH, by=Grouping.NATURA))),
        ("month per flow, admin",
         lambda s: report(s, admin, StatsFilters(MONTH, by=Grouping.FLOW))),
        ("23 months per month, admin",
         lambda s: report(s, admin, StatsFilters(WHOLE, by=Grouping.MONTH))),
        ("23 months per flow (100,000 groups), admin",
         lambda s: report(s, admin, StatsFilters(WHOLE, by=Grouping.FLOW))),
        ("raggiungibili 12 months, admin (8 services)",
         lambda s: reach(s, admin, StatsFilters(MONTH))),
        ("raggiungibili 12 months, operator (2 of 8 services: distinct)",
         lambda s: reach(s, operator, StatsFilters(MONTH))),
        ("raggiungibili 12 months, one service",
         lambda s: reach(s, admin, StatsFilters(MONTH, service_id=3))),
        ("raggiungibili 23 months, admin",
         lambda s: reach(s, admin, StatsFilters(WHOLE))),
    ]  # fmt: skip
    results = []
    for name, call in cases:
        with sessions() as session:
            first, median = _timed(lambda: call(session))  # noqa: B023 - run now
        results.append({"case": name, "first_s": round(first, 3), "median_s": round(median, 3)})
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    # The same month's figures from the rows, per service: what the page would cost without
    # the summaries (the sent_at index covers the accepted ones only: a scan either way).
    raw_month = (
        "SELECT service_id, outcome, count(*) FROM notifications"
        f" WHERE outcome IN ({FINAL}) AND COALESCE(sent_at, updated_at, created_at) >= :a"
        " AND COALESCE(sent_at, updated_at, created_at) < :b GROUP BY service_id, outcome"
    )
    stamp = bench_archive._stamp
    params = {
        "a": stamp(engine, datetime(2026, 10, 31, 23, tzinfo=UTC)),
        "b": stamp(engine, datetime(2026, 11, 30, 23, tzinfo=UTC)),
    }
    raw_whole = (
        "SELECT service_id, outcome, count(*) FROM notifications"
        f" WHERE outcome IN ({FINAL}) GROUP BY service_id, outcome"
    )
    raw_distinct = (
        "SELECT count(DISTINCT fiscal_code) FROM notifications"
        " WHERE outcome IN ('accettato', 'consegnato')"
    )
    for name, sql, args in (
        ("from the rows: one month per service", raw_month, params),
        ("from the rows: 23 months per service", raw_whole, {}),
        ("from the rows: distinct citizens reached, 23 months", raw_distinct, {}),
    ):
        with engine.connect() as conn:
            first, median = _timed(lambda: conn.execute(text(sql), args).all(), repeat=2)  # noqa: B023
        results.append({"case": name, "first_s": round(first, 3), "median_s": round(median, 3)})
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    results.extend(write_cost(engine))
    with sessions() as session:
        start = time.perf_counter()
        rebuild(session)
        seconds = time.perf_counter() - start
        session.rollback()
    results.append({"case": "rebuild the summaries from the rows", "seconds": round(seconds, 1)})
    with engine.connect() as conn:
        for table in ("notification_counts", "notification_reach", "notification_reach_months"):
            n = conn.scalar(text(f"SELECT count(*) FROM {table}"))
            results.append({"case": f"rows in {table}", "rows": n})
    return results


def write_cost(engine: Engine) -> list[dict[str, Any]]:
    """20,000 rows given a status read (accepted -> delivered, read): one executemany, as
    the dispatcher writes them, with and without the triggers; rolled back."""
    dialect = engine.dialect.name
    results = []
    for triggers in (True, False):
        with engine.connect() as conn:
            trans = conn.begin()
            if not triggers:
                for statement in drop_triggers(dialect):
                    conn.execute(text(statement))
            ids = conn.scalars(
                text("SELECT id FROM notifications WHERE outcome = 'accettato' LIMIT 20000")
            ).all()
            start = time.perf_counter()
            conn.execute(
                text(
                    "UPDATE notifications SET outcome = 'consegnato', io_status = 'PROCESSED',"
                    " read_status = 'READ', updated_at = updated_at WHERE id = :id"
                ),
                [{"id": i} for i in ids],
            )
            seconds = time.perf_counter() - start
            trans.rollback()
        label = "with the triggers" if triggers else "without triggers"
        per_row = round(seconds / max(len(ids), 1) * 1e6, 1)
        results.append(
            {"case": f"20,000 status reads written, {label}", "seconds": round(seconds, 3),
             "per_row_us": per_row}
        )  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--drop", action="store_true", help="Rebuild the database.")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    if args.backend == "sqlite":
        bench_archive.OUT.mkdir(parents=True, exist_ok=True)
        path = bench_archive.OUT / "cruscotto.db"
        if args.drop:
            path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        fresh = not path.exists()
    else:
        name = "appio_bench_cruscotto"
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
        bench_archive.build(engine, url)
        print(f"built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    if args.build_only:
        return
    print(json.dumps({"load": os.getloadavg()[0]}))
    for line in measure(engine)[-7:]:  # the others were printed as they came
        print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
