"""Every page's own address, typed or bookmarked, opens that page (issue 16: /flussi showed
«Si è verificato un errore imprevisto», the default page's address being taken twice)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME
from appio_ui.navigation import PAGES
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

# What each page shows first, by its address: a page added later must be listed here.
HEADINGS = {
    "flussi": "Flussi",
    "flusso": "Flusso n. 1",
    "nuovo_flusso": "Nuovo flusso",
    "modelli": "Modelli",
    "da_approvare": "Da approvare",
    "notifiche": "Notifiche",
    "notifica": "Notifica n. 1",
    "nuova_notifica": "Nuova notifica",
    "cruscotto": "Cruscotto",
    "servizi": "Servizi",
    "importa_io": "Importa da IO",
    "operatori": "Operatori",
    "integrazioni": "Integrazioni",
    "registro": "Registro attività",
    "sistema": "Stato del sistema",
    "account": "Il mio account",
}
# The detail pages need the item to show.
QUERIES = {"flusso": "?flusso=1", "notifica": "?notifica=1"}


def _check(page: Page, url: str, spec_title: str, heading: str, hidden: bool) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, exact=False).first).to_be_visible()
    expect(page.get_by_text("Si è verificato un errore imprevisto")).to_have_count(0)
    expect(page.get_by_text("Pagina non trovata")).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_be_visible()
    # The sidebar's sections in the seed's words.
    for section in ("Gestione Flussi", "Gestione Notifiche", "Configurazione"):
        expect(nav.get_by_text(section, exact=True)).to_be_visible()
    if not hidden:
        # The page is the current one in the sidebar, not only its content on screen.
        # A page with a count in the sidebar: «Da approvare (2)».
        name = re.compile(rf"^{re.escape(spec_title)}( \(\d+\))?$")
        expect(nav.get_by_role("link", name=name)).to_have_attribute("aria-current", "page")


def test_every_page_opens_at_its_own_address(page: Page, app_url: str) -> None:
    assert set(HEADINGS) == {spec.url_path for spec in PAGES}
    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    for spec in PAGES:
        url = f"{app_url}/{spec.url_path}{QUERIES.get(spec.url_path, '')}"
        _check(page, url, spec.title, HEADINGS[spec.url_path], spec.hidden)
        assert re.search(rf"/{spec.url_path}(\?|$)", page.url), page.url
    # The app's root is still the default page, and its sidebar link leads back to it.
    _check(page, app_url, "Flussi", "Flussi", hidden=False)
    page.goto(f"{app_url}/flussi")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Notifiche", exact=True).click()
    expect(page.get_by_role("heading", name="Notifiche").first).to_be_visible()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Flussi", exact=True).click()
    expect(page.get_by_role("heading", name="Flussi").first).to_be_visible()


def test_a_bookmarked_flussi_opens_after_the_login(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/flussi")
    page.get_by_label("Nome utente").fill(DEMO_ADMIN_USERNAME)
    page.get_by_role("textbox", name="Password").fill(DEMO_ADMIN_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("heading", name="Flussi").first).to_be_visible()
    expect(page.get_by_text("Si è verificato un errore imprevisto")).to_have_count(0)
    assert page.url.endswith("/flussi")


def test_an_unknown_address_says_so_in_italian(page: Page, app_url: str) -> None:
    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    for address in ("flussi_vecchi", "inizio"):  # «inizio»: the default page's hidden name
        page.goto(f"{app_url}/{address}")
        expect(page.get_by_role("heading", name="Pagina non trovata")).to_be_visible()
        expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
