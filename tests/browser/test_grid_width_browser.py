"""The archives' and the details' grids at 1366x768, the most common office screen (issue 16:
at 1400 px Flussi lost «Destinatari» and a flow's recipients «ID messaggio IO»): every column's
header inside the window, no sideways scrolling, key columns whole, the key column pinned."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME
from appio_ui.flows_table import LABELS as FLOW_LABELS
from appio_ui.grid import LINE_PX
from appio_ui.notifications_table import ARCHIVE_LABELS, RECIPIENT_LABELS
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1366, 768

# Each header's text and its box, in the page's coordinates (the grid is in an iframe at
# `left`); whether the grid scrolls sideways; the widest text cut in a cell of a key column.
_GEOMETRY = """(body, left) => {
  const headers = [...document.querySelectorAll('.ag-header-cell')].map(h => {
    const r = h.getBoundingClientRect();
    return {text: h.innerText.trim(), left: left + r.left, right: left + r.right};
  });
  const scroller = document.querySelector('.ag-body-horizontal-scroll-viewport');
  const scrolls = scroller ? scroller.scrollWidth > scroller.clientWidth + 1 : false;
  const keys = ['fiscal_code', 'io_message_id', 'id', 'row_number'];
  const cut = [...document.querySelectorAll('.ag-cell[col-id]')]
    .filter(c => keys.includes(c.getAttribute('col-id')))
    .filter(c => {
      const v = c.querySelector('.ag-cell-value') || c;
      return v.scrollWidth > v.clientWidth + 1;
    })
    .map(c => c.innerText);
  const pinned = [...document.querySelectorAll('.ag-pinned-left-header .ag-header-cell')]
    .map(h => h.innerText.trim());
  // Every row of the page drawn (the browser's «Trova» finds only those): the grid's
  // aria-rowcount counts the header's row too.
  const drawn = document.querySelectorAll('.ag-center-cols-container .ag-row').length;
  const rows = Number(document.querySelector('[aria-rowcount]').getAttribute('aria-rowcount')) - 1;
  // Wrapped text cut at the bottom: its row shorter than its lines (row_height.js counts
  // them without measuring the page).
  const clipped = [...document.querySelectorAll('.ag-cell-wrap-text')]
    .filter(c => c.scrollHeight > c.clientHeight + 1)
    .map(c => c.innerText);
  const tallest = Math.max(...[...document.querySelectorAll('.ag-row')].map(r => r.offsetHeight));
  return {headers, scrolls, cut, pinned, drawn, rows, clipped, tallest};
}"""


@pytest.fixture
def office(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="it-IT")
    page = context.new_page()
    page.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)
    yield page
    context.close()


def _grid(page: Page) -> FrameLocator:
    grid = page.frame_locator("iframe").first
    expect(grid.locator(".ag-row").first).to_be_visible()
    return grid


def _check(page: Page, labels: dict[str, str], pinned: list[str], shot: Path) -> None:
    grid = _grid(page)
    page.wait_for_timeout(500)  # AG Grid fits the columns after the first drawing
    box = page.locator("iframe").first.bounding_box()
    assert box is not None
    found = grid.locator("body").evaluate(_GEOMETRY, box["x"])
    page.locator("iframe").first.scroll_into_view_if_needed()
    page.screenshot(path=str(shot))
    headers = {h["text"]: h for h in found["headers"]}
    assert sorted(headers) == sorted(labels.values()), found["headers"]
    last = found["headers"][-1]
    assert last["right"] <= WIDTH, f"«{last['text']}» ends at {last['right']} px"
    assert all(h["left"] >= 0 and h["right"] <= WIDTH for h in found["headers"])
    assert not found["scrolls"], "the grid scrolls sideways"
    assert found["cut"] == [], f"key values cut: {found['cut']}"
    assert found["pinned"] == pinned
    assert found["drawn"] == found["rows"] > 0
    assert found["clipped"] == [], f"wrapped text cut: {found['clipped']}"
    # Not a vacuous check: the pages have rows of several lines.
    assert found["tallest"] >= 3 * LINE_PX + 10


def test_every_column_shows_at_1366_px(office: Page, app_url: str, screenshots: Path) -> None:
    page = office
    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)

    page.goto(f"{app_url}/flussi")
    _check(page, FLOW_LABELS, ["N."], screenshots / "1366-flussi.png")

    page.goto(f"{app_url}/flusso?flusso=1")
    expect(page.get_by_role("heading", name="Destinatari")).to_be_visible()
    _check(page, RECIPIENT_LABELS, ["Riga", "Codice fiscale"], screenshots / "1366-flusso.png")

    page.goto(f"{app_url}/notifiche")
    page.get_by_role("button", name="Elenca").click()
    _check(page, ARCHIVE_LABELS, ["N."], screenshots / "1366-notifiche.png")

    # Other rows in the same grid (its columns laid out again): counted again, none cut.
    page.get_by_role("textbox", name="Oggetto contiene").fill("mensa")
    page.get_by_role("button", name="Elenca").click()
    grid = _grid(page)
    expect(grid.locator(".ag-cell[col-id='subject']").first).to_contain_text("ensa")
    page.wait_for_timeout(500)
    found = grid.locator("body").evaluate(_GEOMETRY, 0)
    assert found["clipped"] == [], f"wrapped text cut: {found['clipped']}"
    assert not found["scrolls"], "the grid scrolls sideways"


def test_rows_follow_a_wrapped_columns_width(browser: Browser, app_url: str) -> None:
    """At 1024 px the columns are at their narrowest and free text wraps into more lines;
    an operator drags «Dettaglio» wider, then back: each time the rows are counted again,
    as tall as their text, never cut."""
    context = browser.new_context(viewport={"width": 1024, "height": HEIGHT}, locale="it-IT")
    page = context.new_page()
    page.set_default_timeout(30_000)
    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    page.goto(f"{app_url}/flusso?flusso=1")
    grid = _grid(page)
    page.wait_for_timeout(500)
    before = grid.locator("body").evaluate(_GEOMETRY, 0)
    assert before["clipped"] == [] and before["tallest"] >= 3 * LINE_PX + 10
    handle = grid.locator(".ag-header-cell[col-id='error_detail'] .ag-header-cell-resize")
    found = []
    for shift in (200, -150):
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + shift, y, steps=8)
        page.mouse.up()
        page.wait_for_timeout(500)
        found.append(grid.locator("body").evaluate(_GEOMETRY, 0))
        assert found[-1]["clipped"] == [], f"wrapped text cut: {found[-1]['clipped']}"
    wider, back = found
    assert wider["tallest"] < before["tallest"]  # the same text in fewer lines
    assert back["tallest"] > wider["tallest"]  # narrower again: more lines
    context.close()
