"""Sessions in a real browser: a reload keeps the operator signed in, a bookmarked page
opened signed out leads there after the login, «Esci» ends the session (even for a browser
that kept its cookie), no address shows Streamlit's English «Page not found»."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME

from .conftest import login

pytestmark = pytest.mark.browser


def _signed_out(page: Page) -> None:
    expect(page.get_by_role("button", name="Accedi")).to_be_visible()
    expect(page.get_by_role("button", name="Esci")).to_have_count(0)


def test_a_reload_keeps_the_operator_signed_in_until_esci(page: Page, app_url: str) -> None:
    login(page, app_url, "mrossi", "demo-operatore-2026")
    cookie = next(c for c in page.context.cookies() if c["name"] == "appio_session")
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    page.get_by_role("link", name="Notifiche").click()
    expect(page).to_have_url(f"{app_url}/notifiche")

    page.reload()
    expect(page.get_by_role("button", name="Esci")).to_be_visible()
    expect(page.get_by_role("heading", name="Notifiche")).to_be_visible()
    page.goto(f"{app_url}/")
    expect(page.get_by_role("heading", name="Flussi")).to_be_visible()
    expect(page.get_by_role("button", name="Esci")).to_be_visible()

    page.get_by_role("button", name="Esci").click()
    _signed_out(page)
    page.reload()
    _signed_out(page)

    # «Esci» ends the session on the server: a browser that kept the token (the script
    # that clears the cookie never ran: the tab closed at once, a blocked script) is
    # signed out all the same.
    page.context.add_cookies([cookie])
    page.reload()
    _signed_out(page)
    expect(page.get_by_text("La sessione è terminata")).to_be_visible()


def test_a_bookmarked_page_opened_signed_out_opens_after_the_login(
    page: Page, app_url: str
) -> None:
    page.goto(f"{app_url}/notifiche?stato=x")
    _signed_out(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.get_by_label("Nome utente").fill(DEMO_ADMIN_USERNAME)
    page.get_by_role("textbox", name="Password").fill(DEMO_ADMIN_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("heading", name="Notifiche")).to_be_visible()
    expect(page).to_have_url(f"{app_url}/notifiche?stato=x")

    page.context.clear_cookies()
    page.goto(f"{app_url}/flusso?flusso=1")
    _signed_out(page)
    page.get_by_label("Nome utente").fill(DEMO_ADMIN_USERNAME)
    page.get_by_role("textbox", name="Password").fill(DEMO_ADMIN_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("button", name="Esci")).to_be_visible()
    expect(page).to_have_url(f"{app_url}/flusso?flusso=1")
    expect(page.get_by_text("Stato", exact=False).first).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_no_address_shows_page_not_found(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/pagina-che-non-esiste")
    _signed_out(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)

    login(page, app_url, "lbianchi", "demo-consulta-2026")
    page.goto(f"{app_url}/operatori")
    expect(page.get_by_role("heading", name="Pagina non disponibile")).to_be_visible()
    page.goto(f"{app_url}/pagina-che-non-esiste")
    expect(page.get_by_role("heading", name="Pagina non trovata")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_an_operator_disabled_elsewhere_is_refused_at_his_next_click(
    browser: Browser, page: Page, app_url: str
) -> None:
    login(page, app_url, "lbianchi", "demo-consulta-2026")
    page.get_by_role("link", name="Notifiche").click()
    expect(page.get_by_role("heading", name="Notifiche")).to_be_visible()

    admin_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    admin = admin_context.new_page()
    admin.set_default_timeout(20_000)
    login(admin, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    admin.get_by_role("link", name="Operatori").click()
    admin.frame_locator("iframe").first.get_by_text("lbianchi", exact=True).click()
    admin.get_by_role("button", name="Disattiva «lbianchi»").click()
    expect(admin.get_by_text("Operatore «lbianchi» aggiornato.")).to_be_visible()
    admin_context.close()

    page.get_by_role("link", name="Flussi").click()
    _signed_out(page)
    expect(page.get_by_text("La sessione è terminata")).to_be_visible()
    page.reload()
    _signed_out(page)
