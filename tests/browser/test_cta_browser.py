"""Buttons in a real browser: «Nuova notifica» with two call-to-action buttons and «Canale
sicuro»; the preview shows them below the text (never the front matter), «Aggiungi» sends
them to the simulator and the detail lists them. The preview's screenshot is docs/cta.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import login
from .test_servizi_browser import SHOTS

pytestmark = pytest.mark.browser

SUBJECT = "TARI 2026: seconda rata"
TEXT = (
    "Gentile cittadino, il **16 dicembre** scade la seconda rata della TARI 2026. Può pagarla"
    " dal sito del Comune o chiamare l'Ufficio tributi per qualsiasi chiarimento sull'importo."
)


def test_an_operator_adds_two_buttons_sees_them_in_the_preview_and_sends_them(
    page: Page, app_url: str
) -> None:
    login(page, app_url, "mrossi", "demo-operatore-2026")
    page.get_by_role("link", name="Nuova notifica").click()
    page.get_by_role("combobox").first.click()
    page.get_by_role("option", name="Tributi - TARI").click()
    page.get_by_role("textbox", name="Codice fiscale").fill("AAAAAA00A00A000A")
    page.get_by_role("textbox", name="Oggetto").fill(SUBJECT)
    page.get_by_role("textbox", name="Testo (Markdown)").fill(TEXT)
    page.get_by_text("Pulsanti e canale sicuro (facoltativi)").click()
    fields = {
        "Pulsante 1: etichetta": "Paga la TARI",
        "Pulsante 2: etichetta": "Chiama l'ufficio",
    }
    for label, value in fields.items():
        page.get_by_role("textbox", name=label).fill(value)
    actions = page.get_by_role("textbox", name="Azione")
    actions.nth(0).fill("https://www.comune.example.it/tari")
    actions.nth(1).fill("tel:+39 06 1234 5678")
    actions.nth(1).press("Tab")
    page.get_by_text(re.compile("^Canale sicuro: niente e-mail")).click()
    preview = page.locator(".appio-preview")
    expect(page.locator(".appio-cta")).to_be_visible()
    expect(page.locator(".appio-cta").get_by_text("Paga la TARI")).to_be_visible()
    expect(page.locator(".appio-cta").get_by_text("telefonata: tel:+390612345678")).to_be_visible()
    expect(page.get_by_text("cta_1")).to_have_count(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    preview.first.screenshot(path=str(SHOTS / "cta.png"))

    page.get_by_role("button", name="Aggiungi").click()
    outcome = page.get_by_text(re.compile(r"Notifica n\. (\d+): accettato\. ID messaggio IO"))
    expect(outcome).to_be_visible(timeout=30_000)
    page.get_by_role("link", name=re.compile(r"Apri la notifica n\. \d+")).click()
    expect(
        page.get_by_text(re.compile("«Paga la TARI» → https://www.comune.example.it/tari"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile("^Sì \\(niente e-mail"))).to_be_visible()
    expect(page.locator(".appio-cta").get_by_text("Chiama l'ufficio")).to_be_visible()
