"""«Rettifica» in a real browser: a sent flow corrected by a new flow, sent through the
in-process simulator, and both found linked in the archives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import login
from .test_servizi_browser import SHOTS, shot

pytestmark = pytest.mark.browser

ORIGINAL = "TARI 2026 - avviso di pagamento"  # demo data: sent, 16 of 20 accepted
CORRECTION_TEXT = (
    "Gentile {{Nome}}, nell'avviso TARI 2026 che ti abbiamo inviato la scadenza era"
    " sbagliata: quella giusta è il {{Scadenza}}. L'importo di {{Importo}} euro e il numero"
    " avviso {{Numero avviso}} non cambiano. Ci scusiamo per l'errore."
)


def test_a_sent_flow_is_corrected_sent_and_both_are_linked_in_the_archive(
    page: Page, app_url: str
) -> None:
    login(page, app_url, "mrossi", "demo-operatore-2026")
    page.frame_locator("iframe").first.get_by_text(ORIGINAL, exact=True).dblclick()
    heading = page.get_by_role("heading", name=re.compile(re.escape(ORIGINAL)))
    expect(heading).to_be_visible()
    original = int(re.search(r"Flusso n\. (\d+)", heading.inner_text()).group(1))  # type: ignore[union-attr]

    page.get_by_text("Rettifica", exact=True).click()
    expect(page.get_by_text(re.compile("IO non permette di cancellare"))).to_be_visible()
    expect(page.get_by_role("textbox", name="Oggetto (modello)")).to_have_value(
        "Rettifica: TARI 2026: avviso di pagamento per {{nome}}"
    )
    page.get_by_role("textbox", name="Testo della rettifica (modello, Markdown)").fill(
        CORRECTION_TEXT
    )
    page.get_by_role("textbox", name="Oggetto (modello)").click()  # the text is taken
    page.wait_for_timeout(500)
    _down_to(page, "Destinatari", SHOTS / "rettifica.png")
    page.get_by_role("button", name="Crea la rettifica").click()

    made = page.get_by_role("heading", name=re.compile(r"Rettifica: " + re.escape(ORIGINAL)))
    expect(made).to_be_visible()
    correction = int(re.search(r"Flusso n\. (\d+)", made.inner_text()).group(1))  # type: ignore[union-attr]
    expect(
        page.get_by_text(re.compile(rf"Rettifica creata: flusso n\. {correction}, 16 "))
    ).to_be_visible()
    expect(page.get_by_text("Stato Inattivo")).to_be_visible()
    expect(
        page.get_by_role("link", name=f"Rettifica di n. {original}: apri il flusso originale")
    ).to_be_visible()

    page.get_by_role("button", name="Attiva").click()
    expect(page.get_by_text("Flusso attivato: è pronto per l'invio.")).to_be_visible()
    page.get_by_role("button", name="Invia").click()
    expect(page.get_by_text("Stato Inviato")).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1500)
    shot(page, "rettifica-inviata")

    # The Flussi archive: both, each naming the other.
    page.get_by_role("link", name="Flussi", exact=True).click()
    grid = page.frame_locator("iframe").first
    expect(grid.get_by_text(f"Rettifica di n. {original}", exact=True)).to_be_visible()
    expect(grid.get_by_text(f"Rettificata da n. {correction}", exact=True)).to_be_visible()
    _only_corrections(page)
    expect(page.get_by_text(re.compile(r"^1 flusso\."))).to_be_visible()
    shot(page, "flussi-solo-rettifiche")

    # The Notifiche archive: the correction's messages, each naming the one it corrects.
    page.get_by_role("link", name="Notifiche", exact=True).click()
    expect(page.get_by_role("heading", name="Notifiche")).to_be_visible()
    _only_corrections(page)
    expect(page.get_by_text(re.compile(r"^16 notifiche\."))).to_be_visible()
    rows = page.frame_locator("iframe").first
    expect(rows.locator(".ag-cell[col-id='correction']").first).to_have_text(
        re.compile(r"^Rettifica di n\. \d+$")
    )
    rows.locator(".ag-row[row-index='0'] .ag-cell[col-id='fiscal_code']").dblclick()
    expect(page.get_by_role("heading", name=re.compile(r"Notifica n\. \d+"))).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile(r"^Rettifica di n\. \d+: apri"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile("^Oggetto: Rettifica: TARI 2026"))).to_be_visible()


def _only_corrections(page: Page) -> None:
    """«Solo rettifiche» ticked (once the page has settled: a rerun redraws the form), then
    «Elenca»."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)
    box = page.get_by_role("checkbox", name="Solo rettifiche")
    for _ in range(3):
        page.get_by_text("Solo rettifiche", exact=True).click()
        try:
            expect(box).to_be_checked(timeout=3_000)
            break
        except AssertionError:
            continue
    page.get_by_role("button", name="Elenca").click()


def _down_to(page: Page, heading: str, path: Path) -> None:
    """The page from its top down to `heading` (excluded), in one picture: the window is
    made as tall as the content, since Streamlit scrolls inside its main area."""
    page.mouse.move(1390, 990)  # no toolbar, tooltip or sidebar button left over
    size = page.viewport_size or {"width": 1400, "height": 1000}
    page.set_viewport_size({"width": size["width"], "height": 3000})
    page.wait_for_timeout(800)
    box = page.get_by_role("heading", name=heading, exact=True).bounding_box()
    assert box is not None
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(path), clip={"x": 0, "y": 0, "width": size["width"], "height": box["y"]}
    )
    page.set_viewport_size(size)
