"""«Registro attività» in a real browser: an operator's failed and good logins are there for
the administrator, who filters them, opens one with a double click and exports the log."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME

from .conftest import login, logout
from .test_servizi_browser import shot

pytestmark = pytest.mark.browser


def test_the_administrator_reads_filters_opens_and_exports_the_log(
    page: Page, app_url: str
) -> None:
    page.goto(app_url)
    page.get_by_label("Nome utente").fill("lbianchi")
    page.get_by_role("textbox", name="Password").fill("sbagliata")
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_text("Nome utente o password non corretti")).to_be_visible()
    login(page, app_url, "lbianchi", "demo-consulta-2026")
    expect(page.get_by_role("link", name="Registro attività")).to_have_count(0)
    logout(page)

    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    page.get_by_role("link", name="Registro attività").click()
    expect(page.get_by_role("heading", name="Registro attività")).to_be_visible()
    grid = page.frame_locator("iframe").first
    expect(grid.get_by_text("Nuovo servizio").first).to_be_visible()
    shot(page, "registro")

    page.get_by_role("textbox", name="Operatore").fill("lbianchi")
    page.get_by_role("button", name="Elenca").click()
    expect(page.get_by_text(re.compile(r"^3 voci\."))).to_be_visible()
    # The grid swaps its rows a moment after the caption changes.
    expect(grid.get_by_role("gridcell", name="appio-cli")).to_have_count(0)
    expect(grid.get_by_text("Password errata.")).to_be_visible()
    expect(grid.get_by_text("Uscita")).to_be_visible()
    shot(page, "registro-filtrato")

    grid.get_by_text("Password errata.").dblclick()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Voce del registro")).to_be_visible()
    expect(dialog.get_by_text("operatore «lbianchi»")).to_be_visible()
    shot(page, "registro-voce")
    page.keyboard.press("Escape")

    with page.expect_download() as download:
        page.get_by_role("button", name="Esporta Excel").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(workbook["Registro attività"].values)
    assert rows[0][:4] == ("N.", "Quando", "Operatore", "Azione")
    assert [(r[2], r[3], r[6]) for r in rows[1:]] == [
        ("lbianchi", "Uscita", "riuscito"),
        ("lbianchi", "Accesso", "riuscito"),
        ("lbianchi", "Accesso", "rifiutato"),
    ]
    page.get_by_role("textbox", name="Operatore").fill("admin")
    page.get_by_role("button", name="Elenca").click()
    expect(grid.get_by_text("Esportazione del registro attività")).to_be_visible()
