"""A real app process with demo data, and headless Chromium (Debian's) to drive it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The environment of each running app, by its URL: for a test that starts another process
# on the same database (`appio api`).
APP_ENVIRONMENTS: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from running_app(tmp_path_factory)


def running_app(
    tmp_path_factory: pytest.TempPathFactory,
    prepare: Callable[[Callable[..., str]], None] | None = None,
) -> Iterator[str]:
    """The app on a free port, over a database with the demo data; `prepare` runs
    `appio` commands on it first (it gets a function that runs one and returns its output)."""
    data = tmp_path_factory.mktemp("browser-data")
    env = {
        **os.environ,
        "APPIO_DATA_DIR": str(data),
        "APPIO_DATABASE_URL": f"sqlite:///{data / 'appio.db'}",
        "APPIO_IO_BASE_URL": "simulator",
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "appio", "init", "--demo"], env=env, check=True, cwd=ROOT)

    def appio(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [bin_dir / "appio", *args],
            env=env,
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    if prepare is not None:
        prepare(appio)
    port = _free_port()
    process = subprocess.Popen(
        [
            bin_dir / "streamlit",
            "run",
            "serve.py",  # as deploy/bin/appio-web runs it
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    APP_ENVIRONMENTS[url] = env
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError("the app did not start within 60 s")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="it-IT")
    page = context.new_page()
    page.set_default_timeout(20_000)
    # CI shares two cores among the app, Chromium and the suite: a rerun that writes to the
    # database can take longer than expect()'s default 5 s there (seen once on «Aggiungi
    # servizio»). Waiting longer costs nothing when the page is quick.
    expect.set_options(timeout=20_000)
    yield page
    context.close()


def login(page: Page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Nome utente").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Accedi").click()
    page.get_by_role("button", name="Esci").wait_for()
    # «Esci» shows while the run that follows the login is still drawing the page: until it
    # ends, Streamlit keeps the login form on screen (stale, greyed). A test that went on
    # found that form again right after clicking «Esci», before the logout was even handled,
    # and its next login was the old, still open session (seen on a loaded CI).
    expect(page.get_by_role("button", name="Accedi", exact=True)).to_have_count(0)


def logout(page: Page) -> None:
    """«Esci», waited for until handled: the sidebar with «Esci» gone (it stays on screen,
    stale, until the run that follows the click ends) and the login form there."""
    page.get_by_role("button", name="Esci").click()
    expect(page.get_by_role("button", name="Esci")).to_have_count(0)
    expect(page.get_by_label("Nome utente")).to_be_visible()


def choose_file(page: Page, file: Path) -> None:
    """Puts `file` in the page's (one) uploader as an operator would: the file already there
    removed first, the new one chosen through the uploader's own button, then waited for
    until its upload has finished (a form sends the file it holds only then).

    The uploader's own button opens the file chooser of the uploader on screen now: a file
    set on the hidden input while a rerun replaced the uploader was dropped (seen on CI,
    and every time on a loaded machine), so a dropped choice is made again."""
    listed = page.get_by_role("button", name=re.compile(r"^Remove "))
    done = page.get_by_role("button", name=f"Remove {file.name}", exact=True)
    for _ in range(3):
        if listed.count():
            listed.first.click()
        expect(listed).to_have_count(0)
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name=re.compile("Scegli il file")).click()
        chooser.value.set_files(str(file))
        try:
            expect(done).to_be_visible()
            return
        except AssertionError:
            continue
    expect(done).to_be_visible()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the walk's screenshots go: APPIO_SCREENSHOTS_DIR (CI keeps them as output),
    else pytest's temporary directory. Never the repository."""
    chosen = os.environ.get("APPIO_SCREENSHOTS_DIR")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return tmp_path_factory.mktemp("screenshots")
