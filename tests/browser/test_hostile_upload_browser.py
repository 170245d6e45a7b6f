"""The security issue's hostile files uploaded through «Nuovo flusso» → «Verifica file» in a
real browser: the Streamlit server answers each with the Italian message and stays up."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from ..flows.conftest import TEXT, fiscal_codes, recipient_csv
from ..recipients.hostile_files.make_hostile import BIG, SMALL
from ..recipients.test_hostile_files import CASES, EXPECTED, HOSTILE
from .conftest import choose_file, login
from .test_servizi_browser import shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("hostile-upload")
    for name, make in BIG.items():
        make(directory / name)
    return directory


def _check(page: Page, file: Path) -> None:
    page.get_by_role("link", name="Nuovo flusso").click()
    page.get_by_role("textbox", name="Nome del flusso").fill("Prova")
    choose_file(page, file)
    page.get_by_role("textbox", name="Oggetto (modello)").fill("Avviso per il cittadino")
    page.get_by_role("textbox", name="Contenuto del messaggio (modello, Markdown)").fill(TEXT)
    page.get_by_role("button", name="Verifica file").click()


def test_the_server_survives_every_hostile_upload_and_says_why_in_italian(
    page: Page, app_url: str, hostile_dir: Path, tmp_path: Path
) -> None:
    login(page, app_url, "mrossi", "demo-operatore-2026")
    for name, _ in CASES:
        path = hostile_dir / name if name in BIG else HOSTILE / name
        assert name in SMALL or name in BIG
        expected = json.loads((EXPECTED / f"{Path(name).stem}.json").read_text())
        message = expected["file_errors"][0]["message"]
        _check(page, path)
        expect(page.get_by_text(message, exact=True), name).to_be_visible(timeout=60_000)
        assert httpx.get(f"{app_url}/_stcore/health", timeout=5).status_code == 200, name
    shot(page, "nuovo-flusso-file-ostile")

    # The same server, the same session: an ordinary file is still checked as usual.
    good = tmp_path / "destinatari.csv"
    good.write_bytes(recipient_csv(fiscal_codes(3, seed=5)))
    _check(page, good)
    expect(page.get_by_text(re.compile(r"File valido\. 3 righe, tutte corrette\."))).to_be_visible()
