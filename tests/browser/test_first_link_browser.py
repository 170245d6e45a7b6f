"""The first browser after a restart opens a bookmarked link: the login, then that page.

Until app.py has called st.navigation once in a server process, Streamlit runs a script of
`pages/` on its own for its address (its old multipage mode): this module's server is
fresh, and its very first request is the link (appio_ui.auth._back_to_the_frame)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME

pytestmark = pytest.mark.browser


def test_a_link_opened_first_on_a_fresh_server_shows_the_login_then_the_flow(
    page: Page, app_url: str
) -> None:
    page.goto(f"{app_url}/flusso?flusso=1")
    expect(page.get_by_role("button", name="Accedi")).to_be_visible()
    # Not Streamlit's list of the pages folder, nor a page run without the login.
    expect(page.get_by_text("Sessione scaduta")).to_have_count(0)
    expect(page.get_by_role("link", name="nuovo flusso")).to_have_count(0)
    page.get_by_label("Nome utente").fill(DEMO_ADMIN_USERNAME)
    page.get_by_role("textbox", name="Password").fill(DEMO_ADMIN_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("heading", name="Flusso n. 1", exact=False)).to_be_visible()
    assert page.url.endswith("/flusso?flusso=1")
