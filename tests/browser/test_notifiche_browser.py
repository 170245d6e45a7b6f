"""«Nuovo» in a real browser: compose one message, «Aggiungi» sends it to the simulator, the
outcome shows at once, the archive lists it, a double click opens the detail with Stato
Mail, and «Esporta Excel» downloads a workbook with the row in it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from .conftest import login
from .test_servizi_browser import shot

pytestmark = pytest.mark.browser

SUBJECT = "Promemoria ritiro carta d'identità"
TEXT = (
    "Gentile cittadino, la sua nuova **carta d'identità** è pronta. Può ritirarla all'Ufficio"
    " anagrafe dal lunedì al venerdì, dalle 9 alle 12, portando la ricevuta della richiesta."
)


def test_an_operator_sends_one_message_and_finds_it_in_the_archive(
    page: Page, app_url: str
) -> None:
    login(page, app_url, "mrossi", "demo-operatore-2026")
    page.get_by_role("link", name="Nuova notifica").click()
    page.get_by_role("combobox").first.click()
    page.get_by_role("option", name="Tributi - TARI").click()
    code = page.get_by_role("textbox", name="Codice fiscale")
    code.fill("RSSMRA80A01H501X")  # wrong check character: said as soon as the field is left
    code.press("Tab")
    expect(page.get_by_text(re.compile("carattere di controllo"))).to_be_visible()
    code.fill("AAAAAA00A00A000A")  # IO's test citizen
    code.press("Tab")
    page.get_by_role("textbox", name="Oggetto").fill(SUBJECT)
    page.get_by_role("textbox", name="Contenuto (Markdown)").fill(TEXT)
    page.get_by_role("textbox", name="Contenuto (Markdown)").press("Tab")
    expect(page.get_by_text("Anteprima, come la mostrerà IO")).to_be_visible()
    page.get_by_role("button", name="Verifica destinatario").click()
    expect(page.get_by_text(re.compile("usa App IO e riceve i messaggi"))).to_be_visible()
    shot(page, "nuova-notifica")

    page.get_by_role("button", name="Aggiungi").click()
    outcome = page.get_by_text(re.compile(r"Notifica n\. (\d+): accettato\. ID messaggio IO"))
    expect(outcome).to_be_visible(timeout=30_000)
    number = re.search(r"n\. (\d+)", outcome.inner_text())
    assert number is not None
    shot(page, "nuova-notifica-inviata")

    # «Nuovo» on Notifiche after a send: an empty form that works, not the last outcome.
    page.get_by_role("link", name="Notifiche", exact=True).click()
    page.get_by_role("button", name="Nuovo").click()
    expect(page.get_by_role("heading", name="Nuova notifica")).to_be_visible()
    expect(page.get_by_role("button", name="Aggiungi")).to_be_enabled()
    expect(outcome).to_have_count(0)
    expect(page.get_by_role("textbox", name="Codice fiscale")).to_be_editable()
    expect(page.get_by_role("textbox", name="Codice fiscale")).to_have_value("")
    page.get_by_role("button", name="Aggiungi").click()  # nothing chosen: refused, not sent
    expect(page.get_by_text("Scegli il servizio.")).to_be_visible()

    page.get_by_role("link", name="Notifiche", exact=True).click()
    page.get_by_role("textbox", name="Codice fiscale").fill("AAAAAA00A00A000A")
    page.get_by_text("Solo notifiche singole").click()
    page.get_by_role("button", name="Elenca").click()
    expect(page.get_by_text(re.compile(r"^1 notifica\."))).to_be_visible()
    grid = page.frame_locator("iframe").first
    cell = grid.get_by_text(SUBJECT)
    expect(cell).to_be_visible()
    shot(page, "notifiche-archivio")

    with page.expect_download() as download:
        page.get_by_role("button", name="Esporta Excel").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(workbook["Notifiche"].values)
    assert rows[0][:6] == ("N.", "Inviata il", "Creata il", "Servizio", "Codice fiscale", "Oggetto")
    assert [(r[0], r[4], r[5], r[6]) for r in rows[1:]] == [
        (int(number[1]), "AAAAAA00A00A000A", SUBJECT, "accettato")
    ]

    cell.dblclick()
    expect(page.get_by_role("heading", name=f"Notifica n. {number[1]}")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"notifica\?notifica={number[1]}"))
    expect(page.get_by_text("Stato Mail", exact=True).first).to_be_visible()
    expect(page.get_by_text(re.compile("Non comunicato da IO")).first).to_be_visible()
    shot(page, "notifica-dettaglio")
