"""«Cruscotto» in a real browser, on the demo data: the figures of this month (the demo's
flows went out at `appio init --demo`), the table agreeing with them, both charts drawn by
Vega-Lite, the Excel export with the same total; an operator of «consultazione» sees his
service only."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME

from .conftest import login, logout
from .test_walk_browser import whole_page_screenshot

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("APPIO_SCREENSHOTS_DIR", "/tmp/appio-screenshots"))


def _metric(page: Page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=label).first
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def test_the_cruscotto_shows_the_demos_figures_and_charts(page: Page, app_url: str) -> None:
    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    page.get_by_role("link", name="Cruscotto").click()
    expect(page.get_by_role("heading", name="Cruscotto")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^Periodo \w+ \d{4}; tutti i servizi; per servizio\.$"))
    ).to_be_visible()
    sent = _metric(page, "Messaggi inviati")
    assert re.fullmatch(r"[1-9][\d.]*", sent), sent
    accepted = _metric(page, "Accettati da IO")
    assert re.fullmatch(r"[\d.]+ · \d{1,3},\d%", accepted), accepted
    assert re.fullmatch(r"[\d.]+ · \d{1,3},\d%", _metric(page, "Cittadini non su IO"))
    # Both charts drawn (Vega-Lite renders into a canvas or an SVG).
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(2)
    for i in range(2):
        expect(charts.nth(i).locator("canvas, svg").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Raggiungibili a \w+ \d{4}$"))).to_be_visible()
    page.mouse.move(0, 0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    whole_page_screenshot(page, SHOTS / "cruscotto.png")

    with page.expect_download() as download:
        page.get_by_role("button", name="Esporta Excel").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(book["Cruscotto"].values)
    assert rows[0][:2] == ("Servizio", "Messaggi inviati")
    assert rows[-1][0] == "Totale" and f"{rows[-1][1]:,}".replace(",", ".") == sent

    # By flow: the demo's flows by name, the same total.
    page.get_by_role("combobox", name="Raggruppa per").click()
    page.get_by_role("option", name="Flusso", exact=True).click()
    page.get_by_role("button", name="Mostra").click()
    expect(page.get_by_text(re.compile(r"; per flusso\.$"))).to_be_visible()
    assert _metric(page, "Messaggi inviati") == sent
    logout(page)

    login(page, app_url, "lbianchi", "demo-consulta-2026")
    page.get_by_role("link", name="Cruscotto").click()
    expect(
        page.get_by_text(re.compile(r"; i servizi abilitati per te; per servizio\.$"))
    ).to_be_visible()
    page.get_by_role("combobox", name="Servizio").click()
    expect(page.get_by_role("option")).to_have_text(["Tutti i servizi", "Tributi - TARI"])
