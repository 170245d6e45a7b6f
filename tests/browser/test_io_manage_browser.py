"""IO's management API in a real browser, against the simulator: an administrator sets the
ente's manage key, imports a service from IO, regenerates its keys, and IO takes them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME
from appio_core.io.simulator.demo import DEMO_IO_ONLY_SERVICES, DEMO_MANAGE_KEY

from .conftest import login
from .test_walk_browser import whole_page_screenshot

pytestmark = pytest.mark.browser
POLIZIA = DEMO_IO_ONLY_SERVICES[0]


def settle(page: Page) -> None:
    """Streamlit has finished its run (no «running» indicator), the grids have drawn."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)
    page.wait_for_timeout(1000)
    page.mouse.move(0, 0)


def test_an_administrator_imports_a_service_from_io_and_regenerates_its_keys(
    page: Page, app_url: str, screenshots: Path
) -> None:
    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    page.get_by_role("link", name="Servizi", exact=True).click()
    page.get_by_text("Chiave di gestione IO", exact=True).click()
    expect(
        page.get_by_text(re.compile(r"^Chiave dell'ente: ••••0001, impostata da"))
    ).to_be_visible()
    page.get_by_role("textbox", name="Chiave di gestione (manage)").fill(DEMO_MANAGE_KEY)
    page.get_by_role("button", name="Sostituisci la chiave di gestione").click()
    expect(page.get_by_text("Chiave di gestione salvata (••••0001).")).to_be_visible()

    page.get_by_role("link", name="Importa da IO", exact=True).click()
    expect(page.get_by_role("heading", name="Importa da IO")).to_be_visible()
    page.get_by_role("combobox", name="Servizi da importare").click()
    page.get_by_role("option", name=f"{POLIZIA.name} ({POLIZIA.io_service_id})").click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Importa").click()
    expect(page.get_by_text(f"Aggiunti 1: «{POLIZIA.name}».")).to_be_visible()
    expect(
        page.get_by_text(re.compile("^Tutti i servizi dell'ente|Servizi da importare"))
    ).to_have_count(1)
    settle(page)
    whole_page_screenshot(page, screenshots / "importa-da-io.png")

    page.get_by_role("link", name="Servizi", exact=True).click()
    grid = page.frame_locator("iframe").first
    expect(grid.get_by_text(POLIZIA.name)).to_be_visible()
    grid.get_by_text(POLIZIA.name).click()
    page.get_by_text(f"Rigenera chiavi di «{POLIZIA.name}»").click()
    page.get_by_role("button", name="Rigenera chiavi", exact=True).click()
    expect(page.get_by_text(f"Chiavi del servizio «{POLIZIA.name}» rigenerate.")).to_be_visible()
    expect(
        page.get_by_text(re.compile("Passo 4 di 4: l'app usa di nuovo per prima"))
    ).to_be_visible()
    # The new keys, masked, in the grid; the demo's old ones are gone from its row.
    row = grid.locator(".ag-row", has_text=POLIZIA.name)
    expect(row).not_to_contain_text("••••ey01")
    expect(row).to_contain_text(re.compile("••••[0-9a-f]{4}"))
    settle(page)
    whole_page_screenshot(page, screenshots / "rigenera-chiavi.png")

    grid.get_by_text(POLIZIA.name).click()
    page.get_by_role("button", name=f"Verifica connessione di «{POLIZIA.name}»").click()
    expect(page.get_by_text(re.compile("^Chiave valida: IO ha risposto"))).to_be_visible()
