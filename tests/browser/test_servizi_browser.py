"""Login, the Servizi grid, adding and editing a service, in a real browser."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME

from .conftest import login

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("APPIO_SCREENSHOTS_DIR", "/tmp/appio-screenshots"))


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_wrong_password_keeps_the_operator_out(page: Page, app_url: str) -> None:
    page.goto(app_url)
    page.get_by_label("Nome utente").fill("admin")
    page.get_by_role("textbox", name="Password").fill("sbagliata")
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_text("Nome utente o password non corretti")).to_be_visible()


def test_an_administrator_sees_adds_and_edits_services(page: Page, app_url: str) -> None:
    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    page.get_by_role("link", name="Servizi").click()
    grid = page.frame_locator("iframe").first
    expect(grid.get_by_text("Tributi - TARI")).to_be_visible()
    expect(grid.get_by_text("••••ey01").first).to_be_visible()
    shot(page, "servizi")

    page.get_by_text("Nuovo servizio").click()
    page.get_by_label("Nome del servizio").last.fill("Polizia locale")
    page.get_by_label("Identificativo servizio IO").last.fill("01JPOLIZIALOCALE")
    page.get_by_label("Chiave primaria").last.fill("polizia-primary-key-7777")
    page.get_by_role("button", name="Aggiungi servizio").click()
    expect(page.get_by_text("Servizio «Polizia locale» aggiunto.")).to_be_visible()
    expect(grid.get_by_text("Polizia locale")).to_be_visible()
    expect(grid.get_by_text("••••7777")).to_be_visible()

    grid.get_by_text("Tributi - TARI").click()
    page.get_by_role("button", name="Verifica connessione di «Tributi - TARI»").click()
    expect(page.get_by_text(re.compile("^Chiave valida: IO ha risposto"))).to_be_visible()

    grid.get_by_text("Polizia locale").click()
    page.get_by_role("button", name="Verifica connessione di «Polizia locale»").click()
    expect(page.get_by_text(re.compile("^Chiave rifiutata: IO non riconosce"))).to_be_visible()
    expect(page.get_by_text("Modifica «Polizia locale»")).to_be_visible()
    page.get_by_label("Ente").first.fill("Comune di Esempio - Polizia")
    page.get_by_role("button", name="Salva modifiche").click()
    expect(page.get_by_text("Servizio «Polizia locale» aggiornato.")).to_be_visible()
    expect(grid.get_by_text("Comune di Esempio - Polizia")).to_be_visible()
    shot(page, "servizi-modificato")


def test_an_operator_sees_only_the_services_enabled_for_them(page: Page, app_url: str) -> None:
    login(page, app_url, "mrossi", "demo-operatore-2026")
    page.get_by_role("link", name="Servizi").click()
    grid = page.frame_locator("iframe").first
    expect(grid.get_by_text("Tributi - TARI")).to_be_visible()
    expect(grid.get_by_text("Anagrafe - Carta d'identità")).to_have_count(0)
    expect(page.get_by_text("Nuovo servizio")).to_have_count(0)
