"""«Nuovo flusso» before the flow exists, in a real browser: the preview of a row as IO will
show it, the meaning of each column, the test send to IO's test citizen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ..flows.conftest import TEXT, fiscal_codes, recipient_csv
from .conftest import choose_file, login

pytestmark = pytest.mark.browser


def _file(tmp_path: Path) -> Path:
    codes = fiscal_codes(3, seed=91)
    lines = ["codice_fiscale;nome;importo"] + [
        f"{cf};**Cittadino {i}** ![x](https://example.org/x.png);{10 + i},50"
        for i, cf in enumerate(codes)
    ]
    path = tmp_path / "comunicazione.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _check(page: Page, app_url: str, file: Path) -> None:
    login(page, app_url, "mrossi", "demo-operatore-2026")
    page.get_by_role("link", name="Nuovo flusso").click()
    page.get_by_role("textbox", name="Nome del flusso").fill("Comunicazione con importo")
    choose_file(page, file)
    page.get_by_role("textbox", name="Oggetto (modello)").fill("Avviso per {{nome}}")
    page.get_by_role("textbox", name="Contenuto del messaggio (modello, Markdown)").fill(TEXT)
    page.get_by_role("button", name="Verifica file").click()


def test_a_row_is_previewed_as_io_will_show_it_without_remote_images(
    page: Page, app_url: str, tmp_path: Path
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    _check(page, app_url, _file(tmp_path))
    expect(page.get_by_text("Anteprima di un messaggio")).to_be_visible()
    expect(page.get_by_text("Riga 2, come la mostrerà IO")).to_be_visible()
    preview = page.get_by_text("Gentile **Cittadino 0**", exact=False)
    expect(preview).to_be_visible()  # the value's Markdown stays literal in the text
    page.get_by_role("spinbutton", name="Riga del file da mostrare").fill("4")
    page.get_by_role("spinbutton", name="Riga del file da mostrare").press("Enter")
    expect(page.get_by_text("Gentile **Cittadino 2**", exact=False)).to_be_visible()
    assert not [url for url in requested if "example.org" in url]

    page.get_by_role("button", name="Invio di prova").click()
    expect(
        page.get_by_text("Invio di prova al cittadino di prova AAAAAA00A00A000A")
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"Notifica n\. \d+: accettato"))).to_be_visible()
    page.get_by_role("link", name="Notifiche", exact=True).click()
    grid = page.frame_locator("iframe").first
    expect(grid.get_by_text("AAAAAA00A00A000A").first).to_be_visible()


def test_on_a_comunicazione_importo_is_text_unless_the_operator_says_otherwise(
    page: Page, app_url: str, tmp_path: Path
) -> None:
    _check(page, app_url, _file(tmp_path))
    expect(page.get_by_text("Significato delle colonne")).to_be_visible()
    expect(page.get_by_text(re.compile(r"File valido\. 3 righe"))).to_be_visible()
    # The run ends with the preview and the trial button: choose once it is over.
    expect(page.get_by_role("button", name="Invio di prova")).to_be_visible()
    meaning = page.get_by_role("combobox", name="importo", exact=True)
    expect(meaning).to_have_value("solo testo")
    option = page.get_by_role("option", name="importo pagoPA", exact=True)
    for _ in range(3):  # a rerun finishing as the list opens closes it again: open it anew
        meaning.click()
        try:
            option.wait_for(timeout=3000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    option.click()
    expect(page.get_by_text("Hai cambiato il significato di qualche colonna")).to_be_visible()
    page.get_by_role("button", name="Verifica file").click()
    expect(page.get_by_text(re.compile(r"Il file ha errori da correggere"))).to_be_visible()
    expect(page.get_by_text("pagamenti incompleti", exact=False).first).to_be_visible()


def test_an_inactive_flows_file_is_replaced_from_modifica(
    page: Page, app_url: str, tmp_path: Path
) -> None:
    first = tmp_path / "prima.csv"
    first.write_bytes(recipient_csv(fiscal_codes(3, seed=93)))
    _check(page, app_url, first)
    page.get_by_role("button", name="Crea flusso").click()
    expect(page.get_by_text(re.compile(r"creato con 3 destinatari"))).to_be_visible()

    page.get_by_text("Modifica", exact=True).click()
    wrong = tmp_path / "sbagliato.csv"
    wrong.write_bytes(recipient_csv(fiscal_codes(2, seed=94)) + b"XYZ;Nessuno\n")
    choose_file(page, wrong)
    page.get_by_role("button", name="Sostituisci il file").click()
    expect(page.get_by_text("Il file non è stato sostituito")).to_be_visible()
    expect(page.get_by_text("1 codice fiscale da correggere", exact=False)).to_be_visible()

    good = tmp_path / "nuovo.csv"
    good.write_bytes(recipient_csv(fiscal_codes(5, seed=95)))
    choose_file(page, good)
    page.get_by_role("button", name="Sostituisci il file").click()
    expect(page.get_by_text("File sostituito: il flusso ha ora 5 destinatari.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"File valido\. 5 righe"))).to_be_visible()
