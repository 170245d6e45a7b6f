"""«Modelli» in a real browser: a template is written and saved (with its preview on
example values), then used on «Nuovo flusso»: the fields are filled, the flow records it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ..flows.conftest import fiscal_codes, recipient_csv
from .conftest import choose_file, login
from .test_walk_browser import whole_page_screenshot

pytestmark = pytest.mark.browser

SUBJECT = "Mensa 2027: iscrizione di {{nome}}"
TEXT = (
    "Gentile famiglia, le iscrizioni alla mensa scolastica di {{nome}} per il 2027 sono"
    " aperte fino al 31 gennaio. Trova il modulo nella sezione Servizi scolastici del sito."
)


def test_a_template_made_on_modelli_fills_nuovo_flusso(
    page: Page, app_url: str, tmp_path: Path, screenshots: Path
) -> None:
    login(page, app_url, "mrossi", "demo-operatore-2026")
    page.get_by_role("link", name="Modelli", exact=True).click()
    expect(page.get_by_role("heading", name="Modelli")).to_be_visible()
    page.get_by_role("textbox", name="Nome del modello").fill("Iscrizione mensa")
    page.get_by_role("textbox", name="Oggetto (modello)").fill(SUBJECT)
    text = page.get_by_role("textbox", name="Testo del messaggio (modello, Markdown)")
    text.fill(TEXT)
    text.press("Control+Enter")
    expect(page.get_by_text("Mensa 2027: iscrizione di Maria")).to_be_visible()
    page.get_by_role("button", name="Salva modello").click()
    expect(page.get_by_text("Modello «Iscrizione mensa»: salvata la versione 1.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Versione 1 · mrossi .*\(attuale\)"))).to_be_visible()
    page.wait_for_timeout(1000)
    page.mouse.move(0, 0)
    whole_page_screenshot(page, screenshots / "modelli.png")

    page.get_by_role("link", name="Nuovo flusso").click()
    page.get_by_role("textbox", name="Nome del flusso").fill("Iscrizioni mensa 2027")
    page.get_by_role("combobox", name="Usa un modello").click()
    page.get_by_role("option", name="Iscrizione mensa").click()
    expect(page.get_by_role("textbox", name="Oggetto (modello)")).to_have_value(SUBJECT)
    file = tmp_path / "iscrizioni.csv"
    file.write_bytes(recipient_csv(fiscal_codes(3, seed=77)))
    choose_file(page, file)
    page.get_by_role("button", name="Crea flusso").click()
    expect(page.get_by_text(re.compile(r"Flusso n\. \d+ creato con 3 destinatari"))).to_be_visible()
    expect(page.get_by_text("Dal modello «Iscrizione mensa», versione 1.")).to_be_visible()
