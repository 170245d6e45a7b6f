"""An operator's day with a flow, in a real browser: check a file, fix it, create the flow,
activate it, send it (through the in-process simulator), watch it finish, export Excel."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from ..flows.conftest import TEXT, fiscal_codes, recipient_csv
from .conftest import choose_file, login
from .test_servizi_browser import shot

pytestmark = pytest.mark.browser


def _fill_form(page: Page, file: Path) -> None:
    page.get_by_role("textbox", name="Nome del flusso").fill("Avviso mensa dicembre")
    choose_file(page, file)
    page.get_by_role("textbox", name="Oggetto (modello)").fill("Mensa: avviso per {{nome}}")
    page.get_by_role("textbox", name="Contenuto del messaggio (modello, Markdown)").fill(TEXT)


def test_an_operator_creates_sends_and_exports_a_flow(
    page: Page, app_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "destinatari.csv"
    bad.write_bytes(recipient_csv(fiscal_codes(4, seed=77)) + b"RSSMRA80A01H501X;Mario\n")
    good = tmp_path / "destinatari-corretto.csv"
    good.write_bytes(recipient_csv(fiscal_codes(5, seed=78)))

    login(page, app_url, "mrossi", "demo-operatore-2026")
    page.get_by_role("link", name="Nuovo flusso").click()
    _fill_form(page, bad)
    page.get_by_role("button", name="Verifica file").click()
    expect(
        page.get_by_text(re.compile(r"Il file ha errori da correggere\. 5 righe"))
    ).to_be_visible()
    expect(
        page.get_by_text("1 con errori (1 codice fiscale da correggere)", exact=False)
    ).to_be_visible()
    shot(page, "nuovo-flusso-errori")

    _fill_form(page, good)
    # The upload replaces the first file in the background: wait for it before creating.
    page.get_by_role("button", name="Crea flusso").click()
    expect(page.get_by_text(re.compile(r"creato con 5 destinatari"))).to_be_visible()
    expect(page.get_by_text("Stato Inattivo")).to_be_visible()

    page.get_by_role("button", name="Attiva").click()
    expect(page.get_by_text("Flusso attivato: è pronto per l'invio.")).to_be_visible()
    page.get_by_role("button", name="Invia").click()
    expect(page.get_by_text(re.compile(r"Stato (Inviato|Invio incompleto)"))).to_be_visible(
        timeout=60_000
    )
    page.wait_for_timeout(2000)  # let the rerun that followed the last state settle
    shot(page, "flusso-inviato")

    with page.expect_download() as download:
        page.get_by_role("button", name="Esporta Excel").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(workbook["Destinatari"].values)
    assert rows[0][:4] == ("Riga del file", "Codice fiscale", "Oggetto", "Esito")
    assert len(rows) == 6
    assert {r[3] for r in rows[1:]} <= {
        "accettato",
        "consegnato",
        "non su IO",
        "servizio disattivato dal cittadino",
    }


def test_double_clicks_open_a_flow_and_then_one_of_its_recipients(page: Page, app_url: str) -> None:
    login(page, app_url, "admin", "demo-amministra-2026")
    grid = page.frame_locator("iframe").first
    expect(page.get_by_text(re.compile(r"^\d+ flussi\."))).to_be_visible()
    first_flow = grid.locator(".ag-row[row-index='0'] .ag-cell[col-id='name']")
    name = first_flow.inner_text()
    first_flow.dblclick()
    expect(page.get_by_role("heading", name=re.compile(re.escape(name)))).to_be_visible()
    expect(page).to_have_url(re.compile(r"flusso\?flusso=\d+"))
    recipients = page.frame_locator("iframe").first
    code_cell = recipients.locator(".ag-row[row-index='0'] .ag-cell[col-id='fiscal_code']")
    code = code_cell.inner_text()
    code_cell.dblclick()
    expect(page.get_by_role("heading", name=re.compile(r"Notifica n\. \d+"))).to_be_visible()
    expect(page.get_by_text(code).first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"Vai al flusso n\. \d+"))).to_be_visible()
    shot(page, "notifica-di-un-flusso")
