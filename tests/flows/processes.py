"""`appio worker` processes against a real `appio simulator` process: their environment,
freezing one outside any transaction, the simulator's holds and record over HTTP, flows
«In invio», and the check that no citizen got a message twice. For tests/flows/test_crash.py
and tests/flows/test_fencing_workers.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.domain import FINISHED_STATES, Outcome
from appio_core.flows import actions, importing, queries
from appio_core.storage.models import IoAccount, Notification, Service, utcnow
from appio_core.storage.runtime_models import AccountLease, WorkerHeartbeat

from .conftest import TEXT, recipient_csv

BIN = Path(sys.executable).parent
APP_NAME_PREFIX = "appio-test-worker-"
# A guard against a test that hangs, not a measure of time: what is awaited must happen.
GUARD_SECONDS = 240


def wait_for(condition: Callable[[], object], what: str, seconds: float = GUARD_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def worker_env(simulator_url: str, **settings: str) -> dict[str, str]:
    """The environment of `appio worker` (the test's database: app_env), small batches."""
    return {
        **os.environ,
        "APPIO_IO_BASE_URL": f"{simulator_url}/api/v1",
        "APPIO_WORKER_BATCH_SIZE": "150",
        "APPIO_WORKER_CONCURRENCY": "24",
        "APPIO_WORKER_IDLE_SECONDS": "0.1",
        "APPIO_STATUS_FIRST_CHECK_SECONDS": "3600",
        **settings,
    }


def start_worker(env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    """`appio worker`; its warnings (lost leases, dropped writes) go to `log`."""
    stderr = log.open("ab") if log is not None else None
    # The shell execs the worker, keeping its pid: PostgreSQL then names the process's
    # connections after it (libpq reads PGAPPNAME), for backends_gone below.
    command = f'PGAPPNAME="{APP_NAME_PREFIX}$$" exec "$0" worker'
    try:
        return subprocess.Popen(["sh", "-c", command, BIN / "appio"], env=env, stderr=stderr)
    finally:
        if stderr is not None:
            stderr.close()


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGCONT (if frozen), then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)
        process.kill()
    process.wait()


def freeze(process: subprocess.Popen[bytes], sessions: sessionmaker[Session]) -> None:
    """SIGSTOP, at a moment when the process holds no transaction open on PostgreSQL (a
    frozen transaction would hold its row locks, the lease's included, and the other
    workers would wait for it instead of taking the account over). Retried until so."""
    for _ in range(200):
        process.send_signal(signal.SIGSTOP)
        wait_for(lambda: _state(process.pid) == "T", "the worker stopped", 30)
        if not _transactions_of_others(sessions):
            return
        process.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("the worker was always inside a transaction")


def _state(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rpartition(")")[2].split()[0]


def _transactions_of_others(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(
            session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                    " AND state <> 'idle'"
                )
            )
            or 0
        )


class Simulator:
    """An `appio simulator` process, through its /__simulator routes."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, method: str, action: str, body: dict[str, Any] | None = None) -> Any:
        answer = httpx.request(method, f"{self.url}/__simulator/{action}", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def hold(self, fiscal_codes: Iterable[str] = (), count: int = 0) -> None:
        self._call("POST", "hold", {"fiscal_codes": list(fiscal_codes), "count": count})

    def held(self) -> list[str]:
        return [h["fiscal_code"] for h in self._call("GET", "held")["held"]]

    def release(self, fiscal_codes: Iterable[str] | None = None) -> int:
        chosen = {} if fiscal_codes is None else {"fiscal_codes": list(fiscal_codes)}
        return int(self._call("POST", "release", chosen)["released"])

    def sends(self) -> dict[str, list[str]]:
        """The ids of the messages created for each citizen, in order of creation."""
        by_code: dict[str, list[str]] = {}
        for message in self._call("GET", "record")["messages"]:
            by_code.setdefault(message["fiscal_code"], []).append(message["id"])
        return by_code


def no_pacing(session: Session, demo: dict[str, int], second_account: bool = False) -> None:
    """The simulator runs without its limit: no client pacing either. With
    `second_account`, «Servizi scolastici - Mensa» gets an IO account of its own."""
    for account in session.query(IoAccount):
        account.rate_limit_requests = 0
    if second_account:
        mensa = session.get(Service, demo["Servizi scolastici - Mensa"])
        assert mensa is not None
        mensa.account = IoAccount(name="scuole", rate_limit_requests=0)
    session.commit()


def start_flow(session: Session, service_id: int, codes: list[str], name: str) -> int:
    """A flow «In invio» of these codici fiscali, in this order (committed)."""
    actor = Actor.system()
    flow = importing.import_flow(
        session,
        actor,
        service_id=service_id,
        name=name,
        natura="Comunicazione",
        source=recipient_csv(codes),
        filename=f"{name}.csv",
        templates=importing.Templates(subject="Avviso per {{nome}}", text=TEXT),
    )
    actions.activate(session, actor, flow.id)
    actions.send(session, actor, flow.id)
    session.commit()
    return flow.id


def finished(sessions: sessionmaker[Session], flow_ids: list[int]) -> bool:
    with sessions() as session:
        return all(
            queries.get_flow(session, Actor.system(), f).state in FINISHED_STATES for f in flow_ids
        )


def rows_by_code(sessions: sessionmaker[Session], flow_ids: list[int]) -> dict[str, Notification]:
    with sessions() as session:
        rows = session.query(Notification).filter(Notification.flow_id.in_(flow_ids))
        return {row.fiscal_code: row for row in rows}


def check_exactly_once(
    sends: dict[str, list[str]], rows: Iterable[Notification], resent: Iterable[str] = ()
) -> dict[str, int]:
    """Every row final; an accepted row has exactly its message at IO, an «esito incerto»
    one at most one, the others none; no citizen got a message twice, except those whose
    «esito incerto» an operator chose to send again (`resent`: at most two). Returns the
    outcomes' tally."""
    resent = set(resent)
    twice = {cf: ids for cf, ids in sends.items() if len(ids) > 1 and cf not in resent}
    assert twice == {}, f"{len(twice)} citizens got a message twice"
    tally: dict[str, int] = {}
    for row in rows:
        tally[row.outcome] = tally.get(row.outcome, 0) + 1
        got = sends.get(row.fiscal_code, [])
        assert row.outcome not in (Outcome.PENDING, Outcome.SENDING), row.fiscal_code
        if row.fiscal_code in resent:
            assert len(got) <= 2 and (row.io_message_id is None or row.io_message_id in got)
        elif row.outcome in (Outcome.ACCEPTED, Outcome.DELIVERED):
            assert got == [row.io_message_id], row.fiscal_code  # none lost
        elif row.outcome == Outcome.UNCERTAIN:
            assert len(got) <= 1, row.fiscal_code
        else:
            assert got == [], (row.fiscal_code, row.outcome)
    return tally


def _of_pid(pid: int) -> str:
    """A LIKE pattern for the ids of the workers of process `pid` (sending.config's
    `host-pid-hex`)."""
    return f"%-{pid}-%"


def in_flight(sessions: sessionmaker[Session], pid: int) -> int:
    """Rows whose send the worker process `pid` had started and not recorded: posted to
    IO (or about to be)."""
    with sessions() as session:
        return (
            session.query(Notification)
            .filter(
                Notification.outcome == Outcome.SENDING,
                Notification.send_started_at.is_not(None),
                Notification.worker_id.like(_of_pid(pid)),
            )
            .count()
        )


def backends_gone(sessions: sessionmaker[Session], pid: int) -> None:
    """Waits until PostgreSQL has ended the connections of the killed worker process `pid`.
    A COMMIT the worker sent just before it died is still carried out by its backend, after
    the process is gone: counting the rows it left before that would miss the rows the
    COMMIT marks as being sent. SQLite commits in the process: nothing to wait for."""
    bind = sessions.kw["bind"]
    if bind.dialect.name != "postgresql":
        return

    def gone() -> bool:
        with sessions() as session:
            return not session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": f"{APP_NAME_PREFIX}{pid}"},
            )

    wait_for(gone, f"the connections of worker {pid} ended")


def run_out(sessions: sessionmaker[Session], pid: int) -> None:
    """The dead worker process `pid`: its leases and its heartbeat expire now, rather than
    a lease's time (105 s by default) after its last renewal."""
    past = utcnow() - timedelta(seconds=1)
    with sessions.begin() as session:
        session.execute(
            update(AccountLease)
            .where(AccountLease.owner.like(_of_pid(pid)))
            .values(expires_at=past)
        )
        session.execute(
            update(WorkerHeartbeat)
            .where(WorkerHeartbeat.worker_id.like(_of_pid(pid)))
            .values(alive_until=past)
        )


def done_rows(sessions: sessionmaker[Session], flow_ids: list[int]) -> int:
    """Rows of these flows with an outcome (neither «da inviare» nor «in invio»)."""
    with sessions() as session:
        return (
            session.query(Notification)
            .filter(
                Notification.flow_id.in_(flow_ids),
                Notification.outcome.not_in([Outcome.PENDING, Outcome.SENDING]),
            )
            .count()
        )
