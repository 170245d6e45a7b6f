"""Four eyes in a real browser: on a service whose flows always need approval, operator A
presses «Invia», operator B finds the flow under «Da approvare» (counted in the
navigation), looks at it and approves it, and it is sent to the simulator."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from appio_core.demo.accounts import DEMO_OPERATORS
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.io.simulator.demo import DEMO_SERVICES

from .conftest import login, logout, running_app
from .test_walk_browser import whole_page_screenshot

pytestmark = pytest.mark.browser

TARI = DEMO_SERVICES[0]
AUTHOR = DEMO_OPERATORS[0]  # mrossi, operator on TARI
SECOND, SECOND_PASSWORD = "gverdi", "seconda-coppia-di-occhi"
NAME = "Avviso TARI da approvare"
TEXT = "Gentile {{nome}}, " + "è disponibile l'avviso TARI del 2027. " * 4
CITIZENS = 6


@pytest.fixture(scope="module")
def approval_app(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, int, Callable[..., str]]]:
    """TARI «sempre», a second operator on it, and mrossi's flow, imported and activated."""
    assert TARI.name == "Tributi - TARI"
    files = tmp_path_factory.mktemp("approval-files")
    codes = in_process_simulator().population.find(Kind.WITH_IO, TARI.io_service_id, CITIZENS)
    source = files / "tari-2027.csv"
    source.write_text(
        "codice_fiscale;nome\n" + "".join(f"{cf};Cittadino {i}\n" for i, cf in enumerate(codes))
    )
    made: dict[str, object] = {}

    def prepare(appio: Callable[..., str]) -> None:
        appio("operator", "add", SECOND, "--role", "operatore", "--full-name", "Giulia Verdi",
              "--password-stdin", stdin=SECOND_PASSWORD + "\n")  # fmt: skip
        appio("service", "enable", "--service", TARI.name, "--operator", SECOND)
        appio("service", "approval", TARI.name, "always")
        flow_id = int(
            appio("--as", AUTHOR.username, "flow", "import", str(source), "--service", TARI.name,
                  "--name", NAME, "--subject-template", "TARI 2027 per {{nome}}",
                  "--text-template", TEXT)
        )  # fmt: skip
        appio("--as", AUTHOR.username, "flow", "activate", str(flow_id))
        made["flow_id"] = flow_id
        made["appio"] = appio

    for url in running_app(tmp_path_factory, prepare):
        yield url, int(made["flow_id"]), made["appio"]  # type: ignore[call-overload, misc]


def test_a_flow_sent_by_one_operator_is_approved_by_another_and_sent(
    page: Page, approval_app: tuple[str, int, Callable[..., str]], screenshots: Path
) -> None:
    url, flow_id, appio = approval_app
    login(page, url, AUTHOR.username, AUTHOR.password)
    page.goto(f"{url}/flusso?flusso={flow_id}")
    expect(page.get_by_text("Stato Attivo")).to_be_visible()
    page.get_by_role("button", name="Invia").click()
    expect(
        page.get_by_text(re.compile(r"Il servizio richiede l'approvazione di un secondo"))
    ).to_be_visible()
    expect(page.get_by_text("Stato In attesa di approvazione")).to_be_visible()
    expect(page.get_by_text(re.compile(r"chiesta da mrossi il"))).to_be_visible()
    # The author's own request is not counted for him.
    expect(page.get_by_role("link", name="Da approvare", exact=True)).to_be_visible()
    logout(page)

    login(page, url, SECOND, SECOND_PASSWORD)
    page.get_by_role("link", name="Da approvare (1)").click()
    expect(page.get_by_role("heading", name="Da approvare", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=f"Flusso n. {flow_id} – {NAME}")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Approvazione chiesta da mrossi"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"SHA-256"))).to_be_visible()
    expect(page.get_by_text(f"File valido. {CITIZENS} righe, tutte corrette.")).to_be_visible()
    row = page.get_by_label(re.compile(r"Riga del file"))
    row.fill("4")
    row.press("Enter")
    expect(page.get_by_text("TARI 2027 per Cittadino 2")).to_be_visible()
    page.wait_for_timeout(800)
    whole_page_screenshot(page, screenshots / "da-approvare.png")  # docs/da-approvare.png
    page.get_by_role("button", name="Approva").click()
    expect(page.get_by_text(re.compile(r"Flusso approvato: l'invio è avviato"))).to_be_visible()
    expect(page.get_by_text("Nessun flusso attende approvazione.")).to_be_visible()

    # The app's own worker sends it to the simulator.
    page.goto(f"{url}/flusso?flusso={flow_id}")
    expect(page.get_by_text("Stato Inviato")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"Approvato da gverdi il"))).to_be_visible()
    status = json.loads(appio("flow", "status", str(flow_id), "--format", "json"))
    assert status["state"] == "Inviato"
    assert status["counts"] == {"accettato": CITIZENS}
    assert status["approval"]["requested_by"] == "mrossi"
    assert status["approval"]["approved_by"] == "gverdi"
