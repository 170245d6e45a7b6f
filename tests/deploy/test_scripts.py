"""The scripts the image and the systemd units run (deploy/bin/), run here as CI runs them:
outside a container, against SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from appio_core.storage.migrate import pending_revisions
from appio_core.storage.models import Operator
from tests.conftest import TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "deploy" / "bin"


def script_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPIO_")}
    env.update(
        # The interpreter running the tests first: a checkout without .venv still works.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        APPIO_DATABASE_URL=database_url,
        APPIO_SECRET_KEY=TEST_SECRET_KEY,
        APPIO_DATA_DIR=str(tmp_path / "data"),
        APPIO_IO_BASE_URL="simulator",
        APPIO_START_WORKER="0",
        **extra,
    )
    return env


def run_script(name: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / name, *args],
        env=env,
        cwd="/",  # the scripts find the checkout themselves
        stdin=subprocess.DEVNULL,  # no terminal, as under systemd or compose
        capture_output=True,
        text=True,
        timeout=120,
    )


def command_line(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().rstrip("\0").split("\0")


def test_the_init_script_migrates_a_fresh_database_and_creates_the_admin(
    fresh_db_url: str, tmp_path: Path
) -> None:
    password_file = tmp_path / "admin_password"
    password_file.write_text("una-password-lunga\n")
    env = script_env(fresh_db_url, tmp_path, APPIO_ADMIN_PASSWORD_FILE=str(password_file))
    done = run_script("appio-init", env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Database aggiornato.", "Creato l'amministratore «admin»."]
    engine = create_engine(fresh_db_url)
    with engine.connect() as conn:
        assert pending_revisions(conn) == []
        assert conn.scalar(select(func.count()).select_from(Operator)) == 1
    engine.dispose()
    # Every upgrade runs it again: nothing to do, nothing asked.
    again = run_script("appio-init", script_env(fresh_db_url, tmp_path))
    assert (again.returncode, again.stdout) == (0, "Database aggiornato.\n")


def test_the_init_script_without_a_password_or_a_terminal_says_how_to_give_one(
    fresh_db_url: str, tmp_path: Path
) -> None:
    done = run_script("appio-init", script_env(fresh_db_url, tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "Errore: Nessuna password: esegui il comando in un terminale, oppure indica la password"
        " con --admin-password-stdin, APPIO_ADMIN_PASSWORD o APPIO_ADMIN_PASSWORD_FILE."
    )


def test_the_worker_script_passes_its_arguments_and_once_exits_0(
    db_url: str, tmp_path: Path
) -> None:
    done = run_script("appio-worker", script_env(db_url, tmp_path), "--once")
    assert done.returncode == 0, done.stderr
    bad = run_script("appio-worker", script_env(db_url, tmp_path), "--no-such-option")
    assert bad.returncode == 2
    assert bad.stderr.startswith("Usage: appio worker [OPTIONS]")


def test_the_worker_stops_cleanly_on_sigterm(db_url: str, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [BIN / "appio-worker"],
        env=script_env(db_url, tmp_path),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        # Once it says so, its SIGTERM handler is in place (a warning may come first).
        started = "Worker avviato: SIGTERM o Ctrl-C per fermarlo."
        seen = []
        while (line := process.stderr.readline()) and line.strip() != started:
            seen.append(line)
        assert line.strip() == started, f"the worker did not start: {seen}"
        # exec: the signal goes to the worker itself, not to a shell that would drop it.
        *_, program, command = command_line(process.pid)
        assert (Path(program).name, command) == ("appio", "worker")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert process.stderr.read().strip().splitlines()[-1] == "Worker fermato."
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def web(db_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    process = subprocess.Popen(
        [BIN / "appio-web", "--server.port", str(port), "--server.address", "127.0.0.1"],
        env=script_env(db_url, tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_web_script_serves_the_app_and_stops_on_sigterm(
    web: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = web
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "the web app exited"
        try:
            health = httpx.get(f"{url}/_stcore/health", timeout=1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the web app did not answer within 60 s"
            time.sleep(0.3)
    assert (health.status_code, health.text) == (200, "ok")
    # exec: the signal goes to Streamlit itself; serve.py, app.py behind its middleware.
    *_, program, command, script = command_line(process.pid)[:4]
    assert (Path(program).name, command, script) == ("streamlit", "run", "serve.py")
    process.send_signal(signal.SIGTERM)
    # uvicorn (st.App) shuts down gracefully, then raises the signal again: systemd and
    # Docker count a death by SIGTERM as a clean stop.
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    env = script_env(db_url, tmp_path, APPIO_API_HOST="127.0.0.1", APPIO_API_PORT=str(port))
    process = subprocess.Popen(
        [BIN / "appio-api"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_api_script_serves_the_openapi_document_and_stops_on_sigterm(
    api: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = api
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "the API exited"
        try:
            document = httpx.get(f"{url}/api/v1/openapi.json", timeout=1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the API did not answer within 60 s"
            time.sleep(0.3)
    assert document.status_code == 200
    assert document.json()["openapi"].startswith("3.1")
    # exec: the signal goes to appio api itself, not to a shell that would drop it.
    *_, program, command = command_line(process.pid)[:3]
    assert (Path(program).name, command) == ("appio", "api")
    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then raises the signal again: systemd and Docker
    # count a death by SIGTERM as a clean stop.
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)
