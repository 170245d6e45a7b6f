"""The archive in the browser: «Notifiche» over 2,000,000 notifications, timed in Chromium.

On the database `bench/bench_archive.py` builds (run it first), a real app process
(`streamlit run serve.py`, as deploy/bin/appio-web runs it) and headless Chromium (Debian's)
measure, end to end:
- «Notifiche»: from the click on the link in the sidebar to the first rows drawn in the
  AgGrid iframe (the unfiltered archive, newest first, with its total), at the first visit
  of the browser session (AgGrid's 4.7 MB script not in the browser's cache yet) and when
  the page is shown again;
- each filter: from the click on «Elenca» to the new rows (or «Nessuna riga») drawn in the
  grid and the caption with the new total shown.

    .venv/bin/python bench/bench_archive.py --backend sqlite      # builds bench/out/archive.db
    .venv/bin/python bench/bench_archive_browser.py --database-url sqlite:///bench/out/archive.db
    .venv/bin/python bench/bench_archive_browser.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/appio_bench_archive

Each repetition opens a new browser context and signs in (an administrator «bench» is
created in the database if missing), so that the first page is the unfiltered one. The
figures are the median and the range of `--repeat` repetitions; one line of JSON per case.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from appio_core.accounts.operators import create_operator, reset_password  # noqa: E402
from appio_core.accounts.permissions import Actor  # noqa: E402
from appio_core.domain import Role  # noqa: E402
from appio_core.storage.db import make_engine, make_sessionmaker  # noqa: E402
from appio_core.storage.models import Operator  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LOG = ROOT / "bench" / "out" / "archive_browser_app.log"  # the app's stderr
USER = "bench"
PASSWORD = "Archivio-al-banco-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_user(url: str) -> str:
    """The administrator the bench signs in as; returns a codice fiscale of the archive."""
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        if engine.dialect.name == "postgresql":  # bench_archive.py inserted operator 1 by id
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('operators', 'id'), max(id))"
                     " FROM operators")
            )  # fmt: skip
        if session.scalar(select(Operator).where(Operator.username == USER)) is None:
            create_operator(session, Actor.system(), USER, PASSWORD, Role.ADMIN)
        else:
            reset_password(session, Actor.system(), USER, PASSWORD)
        code = session.scalar(text("SELECT fiscal_code FROM notifications WHERE id = 777"))
    engine.dispose()
    return str(code)


def start_app(url: str, data: Path, app_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "APPIO_DATA_DIR": str(data),
        "APPIO_DATABASE_URL": url,
        "APPIO_IO_BASE_URL": "simulator",
        "APPIO_START_WORKER": "0",
    }
    port = _free_port()
    # serve.py as deploy/bin/appio-web runs it; app.py in a checkout from before it.
    script = "serve.py" if (app_dir / "serve.py").exists() else "app.py"
    process = subprocess.Popen(
        [Path(sys.executable).parent / "streamlit", "run", script, "--server.headless",
         "true", "--server.port", str(port), "--server.address", "127.0.0.1"],
        env=env, cwd=app_dir, stdout=subprocess.DEVNULL, stderr=LOG.open("ab"),
    )  # fmt: skip
    address = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{address}/_stcore/health", timeout=1).status_code == 200:
                return process, address
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("the app did not start within 60 s")


@dataclass(frozen=True)
class Case:
    name: str
    fields: dict[str, str]  # form label -> what is typed
    caption: re.Pattern[str]  # the caption once the new total is shown
    cell: str | None  # a text of the new rows, None when nothing matches


def _login(page: Page, address: str) -> None:
    page.goto(address)
    page.get_by_label("Nome utente").fill(USER)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.get_by_role("button", name="Esci").wait_for()


def _timed(action: Callable[[], None], done: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    done()
    return time.perf_counter() - start


FIRST = "«Notifiche»: first rows, first visit of the session"
AGAIN = "«Notifiche»: first rows, page shown again"
IN_PAGE = " (in the page)"

# The same moments as the browser has them, without Playwright's polling between them (its
# waits ask again after 20, 50, 100 ms...: 60-180 ms late here): the click on the page,
# and the animation frame that first paints a row of the grid's iframe (a row in the
# document and visible, then the next frame). A timer looks for the row every 4 ms: an
# observer set up by the script would watch the iframe's first, empty document, which the
# browser replaces and the window outlives.
_IN_PAGE_TIMES = """(() => {
  const now = () => performance.timeOrigin + performance.now();
  if (window.top === window) {
    document.addEventListener('click', () => { window.__benchClick = now(); }, true);
    return;
  }
  const started = now();
  const look = setInterval(() => {
    const row = document.querySelector('.ag-center-cols-container .ag-row');
    if (row && row.checkVisibility()) {
      clearInterval(look);
      requestAnimationFrame(() => { window.top.__benchRows = window.top.__benchRows || now(); });
    } else if (now() - started > 30000) {
      clearInterval(look);
    }
  }, 4);
})();"""


def _notifiche(page: Page) -> tuple[float, float]:
    """From «Account», a click on «Notifiche» until the grid draws its first row: as
    Playwright sees it, and in the page."""
    page.get_by_role("link", name="Account").click()
    page.get_by_role("heading", name="Account").wait_for()
    page.evaluate("window.__benchRows = 0")
    rows = page.frame_locator("iframe").first.locator(".ag-center-cols-container .ag-row")
    seconds = _timed(
        lambda: page.get_by_role("link", name="Notifiche", exact=True).click(),
        lambda: rows.first.wait_for(state="visible"),
    )
    expect(page.get_by_text(re.compile(r"di 2\.000\.\d{3} notifiche"))).to_be_visible()
    in_page = page.evaluate("(window.__benchRows - window.__benchClick) / 1000")
    return seconds, in_page


def _filter(page: Page, case: Case) -> float:
    """The case's fields typed, «Elenca» clicked, until its rows are drawn."""
    grid = page.frame_locator("iframe").first
    for label in ("Codice fiscale", "Oggetto contiene"):
        page.get_by_role("textbox", name=label).fill(case.fields.get(label, ""))

    def done() -> None:
        expect(page.get_by_text(case.caption)).to_be_visible()
        if case.cell is None:
            expect(grid.locator(".ag-overlay-no-rows-center")).to_be_visible()
        else:
            expect(grid.get_by_text(case.cell).first).to_be_visible()

    return _timed(lambda: page.get_by_role("button", name="Elenca").click(), done)


def _repetition(browser: Browser, address: str, cases: list[Case]) -> dict[str, float]:
    """A new browser context (nothing cached), signed in: «Notifiche» twice, then each
    filter on it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="it-IT")
    context.add_init_script(_IN_PAGE_TIMES)
    page = context.new_page()
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)
    _login(page, address)
    first, again = _notifiche(page), _notifiche(page)
    times = {FIRST: first[0], FIRST + IN_PAGE: first[1], AGAIN: again[0], AGAIN + IN_PAGE: again[1]}
    for case in cases:
        times[case.name] = _filter(page, case)
    context.close()
    return times


def run(address: str, cases: list[Case], repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        for _ in range(repeat):
            for name, seconds in _repetition(browser, address, cases).items():
                times.setdefault(name, []).append(seconds)
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default=f"sqlite:///{ROOT / 'bench' / 'out' / 'archive.db'}"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--app-dir", type=Path, default=ROOT, help="The checkout whose app runs (to compare)."
    )
    args = parser.parse_args()
    if args.database_url.startswith("sqlite:///") and not args.database_url.startswith(
        "sqlite:////"
    ):  # the app runs in --app-dir: a relative path is made absolute here
        args.database_url = f"sqlite:///{Path(args.database_url[10:]).resolve()}"
    code = ensure_user(args.database_url)
    cases = [
        Case(
            "codice fiscale",
            {"Codice fiscale": code},
            re.compile(r"^\d+ notific[ah]e?\."),
            code,
        ),
        Case(
            "«Oggetto contiene», no match",
            {"Oggetto contiene": "rimborso"},
            re.compile("Nessuna notifica corrisponde ai filtri"),
            None,
        ),
        Case(
            "«Oggetto contiene», a few matches",
            {"Oggetto contiene": "MENSA n. 19999"},
            re.compile(r"^\d+ notific[ah]e?\."),
            "mensa n. 19999",
        ),
        Case(
            "«Oggetto contiene», a quarter of the archive",
            {"Oggetto contiene": "mensa"},
            re.compile(r"di (oltre )?\d{2,3}\.\d{3} notifiche"),
            "mensa",
        ),
        Case(
            "«Oggetto contiene», 2 characters, no match",
            {"Oggetto contiene": "zq"},
            re.compile("Nessuna notifica corrisponde ai filtri"),
            None,
        ),
    ]
    with tempfile.TemporaryDirectory() as data:
        process, address = start_app(args.database_url, Path(data), args.app_dir)
        try:
            times = run(address, cases, args.repeat)
        finally:
            process.terminate()
            process.wait(timeout=20)
    for name, values in times.items():
        print(
            json.dumps(
                {
                    "case": name,
                    "median": round(statistics.median(values), 3),
                    "min": round(min(values), 3),
                    "max": round(max(values), 3),
                    "runs": [round(v, 3) for v in values],
                },
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
