"""`appio flow import` of a 1,000,000-row CSV against a bare `pandas.read_csv`, whole processes.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--runs 3] [--postgres URL]

The file: a codice fiscale column, `nome` and `cognome` (the two placeholders of the
subject and text templates) and two other columns (`quartiere`, `protocollo`), `;`-separated
UTF-8. Each run imports into a fresh database: SQLite always, PostgreSQL when `--postgres`
(or APPIO_TEST_POSTGRES_URL) names a server, on which a database is created and dropped.

Memory: the file is read in a sandboxed child forked by a server process that `appio`
starts (appio_core/recipient_file/sandbox.py), so the peak of every process of the tree is
sampled from /proc (VmHWM, every 20 ms) and reported per role: the `appio` process itself
(parent), the fork server, the child that read the file. Figures go to bench/RESULTS-import.md
and the README.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validation import NAMES, OUT, fiscal_codes
from process_tree import Run, run

T = TypeVar("T")
PYTHON = sys.executable
APPIO = str(Path(PYTHON).parent / "appio")
SUBJECT = "Avviso TARI per {{nome}} {{cognome}}"
TEXT = (
    "Gentile {{nome}} {{cognome}},\n\nle ricordiamo il pagamento della tassa sui rifiuti (TARI)"
    " per l'anno in corso. Può pagare con pagoPA dall'app IO, dal sito del Comune o presso gli"
    " sportelli abilitati. Grazie per la collaborazione."
)
SURNAMES = ("Rossi", "Bianchi", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco")


def write_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(23)
    frame = pd.DataFrame(
        {
            "codice fiscale": fiscal_codes(rows, seed=29),
            "nome": np.array(NAMES)[rng.integers(0, len(NAMES), rows)],
            "cognome": np.array(SURNAMES)[rng.integers(0, len(SURNAMES), rows)],
            "quartiere": np.array(["Centro", "Nord", "Sud", "Borgo"])[rng.integers(0, 4, rows)],
            "protocollo": [f"2026/{n:07d}" for n in range(rows)],
        }
    )
    frame.to_csv(path, sep=";", index=False)


def prepare(url: str, data: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "APPIO_DATABASE_URL": url,
        "APPIO_DATA_DIR": str(data),
        "APPIO_IO_BASE_URL": "simulator",
        "APPIO_START_WORKER": "0",
    }
    subprocess.run([APPIO, "init", "--demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def import_command(csv_path: Path, text_path: Path) -> list[str]:
    return [
        APPIO,
        "flow",
        "import",
        str(csv_path),
        "--service",
        "Tributi - TARI",
        "--name",
        "bench",
        "--subject-template",
        SUBJECT,
        "--text-template-file",
        str(text_path),
    ]


def _floor_rows(count: int) -> list[tuple[object, ...]]:
    """Rows shaped like the import's (same lengths), for the write alone."""
    codes = fiscal_codes(count, seed=31)
    text = TEXT.replace("{{nome}} {{cognome}}", "Maria Grazia Esposito")
    extra = '{"nome":"Maria Grazia","cognome":"Esposito","quartiere":"Centro",'
    extra += '"protocollo":"2026/0000001"}'
    return [
        (i + 2, codes[i], "Avviso TARI per Maria Grazia Esposito", text, None, None, None, extra)
        for i in range(count)
    ]


def floor_seconds(url: str, rows: list[tuple[object, ...]]) -> float:
    """The database write alone, as the import does it, of rows built beforehand: what no
    reading or checking can go under with this schema (its eight indexes)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        flow_id, service_id = conn.execute(text("SELECT id, service_id FROM flows LIMIT 1")).one()
    head = (flow_id, service_id, "bench", "2026-11-30 12:00:00.000000+00:00", "STANDARD")
    tail = ("PENDING", 0, False)
    names = "flow_id, service_id, created_by, created_at, feature_level, row_number, fiscal_code,"
    names += " subject, markdown, amount, notice_number, due_date, extra, outcome, attempts,"
    names += " retryable"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        start = time.perf_counter()
        if url.startswith("sqlite"):
            cursor.execute("PRAGMA cache_size=-65536")
            marks = ", ".join("?" * 16)
            for i in range(0, len(rows), 50_000):
                cursor.executemany(
                    f"INSERT INTO notifications ({names}) VALUES ({marks})",
                    [(*head, *r, *tail) for r in rows[i : i + 50_000]],
                )
        else:
            # As the import writes them: binary COPY, the foreign keys checked once.
            from appio_core.flows.recipient_copy import copy_recipients
            from appio_core.flows.recipient_rows import _FILE_COLUMNS, _RECIPIENT_COLUMNS
            from appio_core.recipient_file.recipients import SCHEMA

            def chunks() -> Iterator[pa.Table]:
                for i in range(0, len(rows), 50_000):
                    part = list(zip(*rows[i : i + 50_000], strict=True))
                    n = len(part[0])
                    values = [*part, [False] * n, [None] * n]
                    yield pa.Table.from_arrays(
                        [pa.array(v, type=f.type) for v, f in zip(values, SCHEMA, strict=True)],
                        schema=SCHEMA,
                    )

            moment = datetime(2026, 11, 30, 12, tzinfo=UTC)
            copy_recipients(
                cursor,
                _RECIPIENT_COLUMNS,
                (flow_id, service_id, "bench", moment, "STANDARD"),
                _FILE_COLUMNS,
                tail,
                (flow_id, service_id),
                chunks(),
            )
        raw.commit()
        return time.perf_counter() - start
    finally:
        raw.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("APPIO_TEST_POSTGRES_URL"))
    parser.add_argument("--floor", action="store_true", help="also time the write alone")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    csv_path = OUT / f"import-{args.rows}.csv"
    text_path = OUT / "import-text-template.md"
    text_path.write_text(TEXT, encoding="utf-8")
    if not csv_path.exists():
        write_csv(csv_path, args.rows)
    print(f"CSV: {args.rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB")

    read_csv = [PYTHON, "-c", f"import pandas; pandas.read_csv({str(csv_path)!r}, sep=';')"]
    baseline = [run(read_csv) for _ in range(args.runs)]
    # The fastest run: on a shared 2-core machine every other run is slowed by someone else.
    base = min(r.seconds for r in baseline)
    print(f"pandas.read_csv process: {base:.2f} s, {max(r.parent_mb for r in baseline):.0f} MB")

    backends = [("SQLite", None)] + ([("PostgreSQL", args.postgres)] if args.postgres else [])
    print(f"load before: {os.getloadavg()[0]:.1f}")
    print(
        "\n| database | run | wall | ratio to read_csv | parent | fork server | child |"
        " CPU: appio's processes | CPU: PostgreSQL's backend | exit |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, server in backends:
        for i in range(args.runs):
            with tempfile.TemporaryDirectory() as directory:
                data = Path(directory)
                if server is None:
                    env = prepare(f"sqlite:///{data / 'appio.db'}", data)
                    result = run(import_command(csv_path, text_path), env)
                else:
                    result = _on_postgres(server, data, csv_path, text_path)
                if args.floor and i == 0:
                    floor = _floor(server, data, args.rows)
                    print(
                        f"| {label} | write alone | {floor:.2f} s | {floor / base:.1f}x |"
                        " | | | | | |"
                    )
            print(
                f"| {label} | {i + 1} | {result.seconds:.2f} s | {result.seconds / base:.1f}x |"
                f" {result.parent_mb:.0f} MB | {result.server_mb:.0f} MB |"
                f" {result.child_mb:.0f} MB | {result.cpu_s:.1f} s | {result.server_cpu_s:.1f} s |"
                f" {result.status} | load {os.getloadavg()[0]:.1f}"
            )


def _floor(server: str | None, data: Path, count: int) -> float:
    rows = _floor_rows(count)
    if server is None:
        floor_dir = data / "floor"
        floor_dir.mkdir()
        return floor_seconds(prepare_url(f"sqlite:///{floor_dir / 'appio.db'}", floor_dir), rows)
    return _with_database(server, data, lambda url: floor_seconds(prepare_url(url, data), rows))


def prepare_url(url: str, data: Path) -> str:
    prepare(url, data)
    return url


def _with_database(server: str, data: Path, work: Callable[[str], T]) -> T:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"appio_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        return work(url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _on_postgres(server: str, data: Path, csv_path: Path, text_path: Path) -> Run:
    def work(url: str) -> Run:
        from sqlalchemy.engine import make_url

        env = prepare(url, data)
        return run(import_command(csv_path, text_path), env, make_url(url).database)

    return _with_database(server, data, work)


if __name__ == "__main__":
    main()
