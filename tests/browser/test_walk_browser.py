"""A walk through every page as the demo's administrator, in a real browser: a screenshot
of each, no request to any host but the app's, and none of Streamlit's English words, IO's
raw codes or UTC timestamps on screen (the grids' frames included)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Frame, Page, expect

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME
from appio_ui.navigation import PAGES

from .conftest import choose_file, login

pytestmark = pytest.mark.browser

# Streamlit's own English: the uploader, the placeholders, the main menu, the dialogs.
ENGLISH = (
    "Upload",
    "Browse files",
    "Drag and drop",
    "per file",
    "Choose options",
    "Choose an option",
    "Select...",
    "No options",
    "No results",
    "Page not found",
    "Running...",
    "Deploy",
    "Rerun",
    "Clear cache",
    "Settings",
    "Print",
    "Record a screencast",
    "About",
    "Made with Streamlit",
    "dd / mm / yyyy",
    "Loading...",
    "Press Enter to apply",
)
ENGLISH_RE = re.compile("|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word in ENGLISH))
# IO's codes and a UTC timestamp as IO writes them: the operator reads labels and Rome time.
RAW_IO = re.compile(
    r"\b(PROCESSED|ACCEPTED|THROTTLED|REJECTED|FAILED|UNREAD|READ|UNAVAILABLE|NOT_PAID|PAID"
    r"|EXPIRED|SENT|ADVANCED|STANDARD)\b|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"
)
# «1 flussi»: a count of one with a plural noun.
ONE_PLURAL = re.compile(
    r"(?<![\d.,])1 (flussi|destinatari|notifiche|righe|voci|errori|attivi|worker attivi)\b"
)

# The text a person sees: rendered text nodes (not hidden, not shrunk to nothing by the
# Italian CSS that covers Streamlit's English), Material icon names left out, and the
# placeholders of empty fields.
_VISIBLE_TEXT = """() => {
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || !node.textContent.trim()) continue;
    if (el.closest('script, style, noscript, template, [data-testid="stIconMaterial"]')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (parseFloat(style.fontSize) === 0 || el.getClientRects().length === 0) continue;
    parts.push(node.textContent.trim());
  }
  for (const field of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (!field.value && field.getClientRects().length) parts.push(field.placeholder);
  }
  return parts.join('\\n');
}"""


# The grid cells that must always show whole (a cut codice fiscale cannot be read).
_CUT_CELLS = """(columns) => {
  const cut = [];
  for (const cell of document.querySelectorAll('.ag-cell')) {
    const column = cell.getAttribute('col-id');
    if (!columns.includes(column)) continue;
    const value = cell.querySelector('.ag-cell-value') || cell;
    if (value.scrollWidth > value.clientWidth + 1 || value.scrollHeight > value.clientHeight + 1)
      cut.push(column + ': ' + value.textContent);
  }
  return cut;
}"""
WHOLE_COLUMNS = ["fiscal_code", "io_message_id", "name", "error_detail", "subject", "detail"]


def cut_cells(page: Page) -> list[str]:
    cut: list[str] = []
    for frame in page.frames:
        try:
            cut += frame.evaluate(_CUT_CELLS, WHOLE_COLUMNS)
        except Exception:  # a frame that went away while reading
            continue
    return cut


def visible_text(page: Page) -> str:
    texts = []
    for frame in page.frames:
        texts.append(_frame_text(frame))
    return "\n".join(texts)


def _frame_text(frame: Frame) -> str:
    try:
        return str(frame.evaluate(_VISIBLE_TEXT))
    except Exception:  # a frame that went away while reading: the next page reads again
        return ""


@pytest.fixture
def requested_hosts(page: Page) -> Iterator[set[str]]:
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.on("websocket", lambda socket: hosts.add(urlsplit(socket.url).netloc))
    yield hosts


def _settle(page: Page) -> None:
    """Streamlit has finished the run (no «running» indicator) and the grids have drawn."""
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)
    page.wait_for_timeout(1500)


def whole_page_screenshot(page: Page, path: Path) -> None:
    """Streamlit scrolls inside its main area, so a «full page» screenshot shows only the
    window: the window is made as tall as the content for the picture."""
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], section')]"
        ".map(e => e.scrollHeight), document.body.scrollHeight)"
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def _look(page: Page, name: str, screenshots: Path, problems: list[str]) -> None:
    _settle(page)
    page.mouse.move(0, 0)  # no tooltip left over from a double click
    whole_page_screenshot(page, screenshots / f"{name}.png")
    text = visible_text(page)
    for pattern, what in (
        (ENGLISH_RE, "inglese di Streamlit"),
        (RAW_IO, "codice di IO o data UTC"),
        (ONE_PLURAL, "«1» con il plurale"),
    ):
        problems += [f"{name}: {what}: {m.group(0)!r}" for m in pattern.finditer(text)]
    problems += [f"{name}: cella tagliata: {cell}" for cell in cut_cells(page)]


def _check_a_file(page: Page, tmp_path: Path) -> None:
    """«Verifica file» of a file with a 19.000-character name and a subject template too
    short: the template's problem once above the rows, each row's message whole."""
    file = tmp_path / "destinatari.csv"
    file.write_text(f"cf;nome\nRSSMRA85T10A562S;{'N' * 19_000}\nRSSMRA85T10A562X;Anna\n")
    page.get_by_role("textbox", name="Nome del flusso").fill("Prova")
    choose_file(page, file)
    page.get_by_role("textbox", name="Oggetto (modello)").fill("Avviso")
    page.get_by_role("textbox", name="Contenuto del messaggio (modello, Markdown)").fill(
        "Gentile {{nome}}, " + "le scriviamo per ricordarle una scadenza importante. " * 3
    )
    page.get_by_role("button", name="Verifica file").click()
    expect(page.get_by_text(re.compile("Il file ha errori da correggere"))).to_be_visible()
    expect(page.get_by_text(re.compile("L'oggetto è troppo corto"))).to_have_count(1)
    message = page.get_by_role("cell", name=re.compile(r"Il testo è troppo lungo: ha 19\.\d{3}"))
    expect(message).to_have_text(re.compile(r"al massimo 10\.000: accorcialo\.$"))
    cut = page.evaluate(
        "() => [...document.querySelectorAll("
        "'[data-testid=stTable], [data-testid=stTable] *, [data-testid=stHtml]')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 40))"
    )
    assert not cut, f"rapporto o anteprima tagliati: {cut}"


def _type_without_english_hints(page: Page, problems: list[str]) -> None:
    """While a field is being typed in, Streamlit hints «Press Enter to apply»: hidden."""
    subject = page.get_by_role("textbox", name="Oggetto")
    subject.fill("Avviso per la TARI")
    hints = page.get_by_test_id("InputInstructions")
    expect(hints).to_have_count(1)  # the hint is there, for Streamlit...
    if hints.is_visible():  # ...but not for the operator
        problems.append(f"nuova-notifica: suggerimento inglese: {hints.inner_text()!r}")
    subject.press("Tab")


def test_every_page_is_italian_local_and_photographed(
    page: Page, app_url: str, screenshots: Path, requested_hosts: set[str], tmp_path: Path
) -> None:
    problems: list[str] = []
    page.goto(app_url)
    _look(page, "00-accesso", screenshots, problems)
    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    _look(page, "01-flussi", screenshots, problems)

    page.frame_locator("iframe").first.get_by_text("TARI 2026 - avviso di pagamento").dblclick()
    expect(page.get_by_role("heading", name=re.compile("TARI 2026"))).to_be_visible()
    shared = page.get_by_role("link", name=re.compile(r"flusso\?flusso=\d+$"))
    expect(shared).to_have_text(re.compile("^" + re.escape(f"{app_url}/flusso?flusso=") + r"\d+$"))
    _look(page, "02-flusso", screenshots, problems)

    recipients = page.frame_locator("iframe").first
    recipients.locator(".ag-row[row-index='0'] .ag-cell[col-id='fiscal_code']").dblclick()
    expect(page.get_by_role("heading", name=re.compile(r"Notifica n\. \d+"))).to_be_visible()
    shared = page.get_by_role("link", name=re.compile(r"notifica\?notifica=\d+$"))
    expect(shared).to_have_text(
        re.compile("^" + re.escape(f"{app_url}/notifica?notifica=") + r"\d+$")
    )
    _look(page, "03-notifica", screenshots, problems)

    # Every page of the navigation (a page added later is walked too), each once.
    menu = [spec for spec in PAGES if not spec.hidden and not spec.default]
    for number, spec in enumerate(menu, start=4):
        page.get_by_role("link", name=spec.title, exact=True).click()
        expect(page).to_have_url(re.compile(rf"/{spec.url_path}(\?|$)"))
        expect(page.get_by_role("heading").first).to_be_visible()
        for expander in ("Nuovo servizio", "Nuovo operatore"):  # their forms, opened
            if spec.title in expander:
                page.get_by_text(expander, exact=True).click()
        if spec.title == "Nuovo flusso":
            _check_a_file(page, tmp_path)
        if spec.title == "Nuova notifica":
            _type_without_english_hints(page, problems)
        _look(page, f"{number:02d}-{spec.url_path}", screenshots, problems)

    # client.toolbarMode = "minimal": no main menu with Rerun, Settings, Print, About.
    expect(page.get_by_test_id("stMainMenu")).to_have_count(0)
    assert not problems, "\n".join(problems)
    app_host = urlsplit(app_url).netloc
    assert requested_hosts == {app_host}, f"richieste ad altri host: {requested_hosts - {app_host}}"
