"""The grid's bundle (streamlit-aggrid's 4.7 MB of JavaScript) is downloaded once: the app as
deploy/bin/appio-web serves it (`streamlit run serve.py`) lets the browser keep the
components' hashed files a year, and the next page with a grid takes it from the cache."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Response, expect

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

BUNDLE = re.compile(r"/component/[^/]+/static/js/main\.[0-9a-f]{8,}\.js$")
INDEX = re.compile(r"/component/[^/]+/index\.html")
# How many bytes each load of the bundle took from the network (0: from the browser's cache).
_TRANSFERRED = """(pattern) => performance.getEntriesByType('resource')
  .filter(e => new RegExp(pattern).test(new URL(e.name).pathname))
  .map(e => e.transferSize)"""


def _grid_transfers(page: Page) -> list[int]:
    """The bundle's loads in the grid's frame on screen, once its rows show."""
    expect(page.frame_locator("iframe").first.locator(".ag-row").first).to_be_visible()
    handle = page.locator("iframe").first.element_handle()
    frame = handle.content_frame() if handle is not None else None
    assert frame is not None
    return list(frame.evaluate(_TRANSFERRED, BUNDLE.pattern))


def test_the_grids_bundle_is_downloaded_once(page: Page, app_url: str) -> None:
    answers: list[Response] = []
    # A lambda: Playwright cannot take a builtin method (list.append) as a handler.
    page.on("response", lambda answer: answers.append(answer))
    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    page.get_by_role("link", name="Flussi", exact=True).click()
    first = _grid_transfers(page)
    assert len(first) == 1 and first[0] > 1_000_000, first  # downloaded, gzipped

    bundles = [a for a in answers if BUNDLE.search(a.url)]
    assert bundles, [a.url for a in answers]
    assert bundles[0].headers["cache-control"] == "public, max-age=31536000, immutable"
    # The page that names the bundle's current hash is asked for each time.
    pages = [a for a in answers if INDEX.search(a.url)]
    assert pages and pages[0].headers["cache-control"] == "no-cache"
    assert not any(
        a.headers.get("cache-control", "").endswith("immutable")
        for a in answers
        if "/component/" not in a.url
    )

    # Another page with a grid: a new frame, the bundle from the cache.
    page.get_by_role("link", name="Notifiche", exact=True).click()
    page.get_by_role("button", name="Elenca").click()
    expect(page.get_by_text(re.compile(r"Doppio clic su una riga"))).to_be_visible()
    assert _grid_transfers(page) == [0]
