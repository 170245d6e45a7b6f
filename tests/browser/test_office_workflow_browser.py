"""The office's way of sending, end to end in a real browser (issue 16): a template saved on
«Modelli», used for a flow, the flow approved by a second operator and sent to the
simulator, then a «Rettifica» of it, approved and sent in turn, and both found linked in the
archives."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from appio_core.demo.accounts import DEMO_OPERATORS
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind
from appio_core.io.simulator.demo import DEMO_SERVICES

from .conftest import choose_file, login, logout, running_app

pytestmark = pytest.mark.browser

TARI = DEMO_SERVICES[0]
AUTHOR = DEMO_OPERATORS[0]  # mrossi, operator on TARI
SECOND, SECOND_PASSWORD = "gverdi", "seconda-coppia-di-occhi"
TEMPLATE = "Promemoria TARI 2027"
SUBJECT = "TARI 2027: promemoria per {{nome}}"
TEXT = (
    "Gentile {{nome}}, ti ricordiamo che la prima rata della TARI 2027 scade il 16 aprile."
    " Trovi l'avviso di pagamento nell'area riservata del sito del Comune."
)
CORRECTION = (
    "Gentile {{nome}}, nel promemoria TARI 2027 che ti abbiamo inviato la data era"
    " sbagliata: la prima rata scade il 30 aprile, non il 16. Ci scusiamo per l'errore."
)
FLOW_NAME = "Promemoria TARI aprile 2027"
CITIZENS = 5


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The demo, a second operator on TARI, TARI's flows approved by another operator
    always, and a file of citizens who have IO."""
    files = tmp_path_factory.mktemp("office-files")
    codes = in_process_simulator().population.find(Kind.WITH_IO, TARI.io_service_id, CITIZENS)
    source = files / "promemoria-tari.csv"
    source.write_text(
        "codice_fiscale;nome\n" + "".join(f"{cf};Cittadino {i}\n" for i, cf in enumerate(codes))
    )

    def prepare(appio: Callable[..., str]) -> None:
        appio("operator", "add", SECOND, "--role", "operatore", "--full-name", "Giulia Verdi",
              "--password-stdin", stdin=SECOND_PASSWORD + "\n")  # fmt: skip
        appio("service", "enable", "--service", TARI.name, "--operator", SECOND)
        appio("service", "approval", TARI.name, "always")

    for url in running_app(tmp_path_factory, prepare):
        yield url, source


def _choose(page: Page, box: str, option: str) -> None:
    page.get_by_role("combobox", name=box).click()
    page.get_by_role("option", name=option, exact=True).click()


def _flow_number(page: Page, pattern: str) -> int:
    heading = page.get_by_role("heading", name=re.compile(pattern))
    expect(heading).to_be_visible()
    found = re.search(r"Flusso n\. (\d+)", heading.inner_text())
    assert found is not None
    return int(found.group(1))


def _ask_approval(page: Page) -> None:
    page.get_by_role("button", name="Attiva").click()
    expect(page.get_by_text("Flusso attivato: è pronto per l'invio.")).to_be_visible()
    page.get_by_role("button", name="Invia").click()
    expect(page.get_by_text("Stato In attesa di approvazione")).to_be_visible()
    logout(page)


def _approve_and_see_sent(page: Page, url: str, flow_id: int) -> None:
    page.get_by_role("link", name="Da approvare (1)").click()
    expect(page.get_by_role("heading", name=re.compile(rf"Flusso n\. {flow_id} "))).to_be_visible()
    page.get_by_role("button", name="Approva").click()
    expect(page.get_by_text(re.compile(r"Flusso approvato: l'invio è avviato"))).to_be_visible()
    page.goto(f"{url}/flusso?flusso={flow_id}")
    expect(page.get_by_text("Stato Inviato")).to_be_visible(timeout=60_000)


def test_template_flow_approval_send_and_correction_linked_in_the_archive(
    page: Page, office: tuple[str, Path]
) -> None:
    url, source = office

    # mrossi saves the template on «Modelli».
    login(page, url, AUTHOR.username, AUTHOR.password)
    page.get_by_role("link", name="Modelli", exact=True).click()
    page.get_by_role("textbox", name="Nome del modello").fill(TEMPLATE)
    _choose(page, "Servizio", TARI.name)
    page.get_by_role("textbox", name="Oggetto (modello)").fill(SUBJECT)
    page.get_by_role("textbox", name="Testo del messaggio (modello, Markdown)").fill(TEXT)
    page.get_by_role("button", name="Salva modello").click()
    expect(page.get_by_text(f"Modello «{TEMPLATE}»: salvata la versione 1.")).to_be_visible()

    # ... uses it for a flow, and asks for its approval.
    page.get_by_role("link", name="Nuovo flusso").click()
    _choose(page, "Servizio", TARI.name)
    page.get_by_role("textbox", name="Nome del flusso").fill(FLOW_NAME)
    _choose(page, "Usa un modello", TEMPLATE)
    expect(page.get_by_role("textbox", name="Oggetto (modello)")).to_have_value(SUBJECT)
    choose_file(page, source)
    page.get_by_role("button", name="Crea flusso").click()
    original = _flow_number(page, re.escape(FLOW_NAME))
    expect(page.get_by_text(f"Dal modello «{TEMPLATE}», versione 1.")).to_be_visible()
    _ask_approval(page)

    # gverdi approves it; the app's worker sends it to the simulator.
    login(page, url, SECOND, SECOND_PASSWORD)
    _approve_and_see_sent(page, url, original)

    # gverdi writes the correction: a new flow to the citizens IO accepted.
    page.get_by_text("Rettifica", exact=True).click()
    expect(page.get_by_role("textbox", name="Oggetto (modello)")).to_have_value(
        "Rettifica: " + SUBJECT
    )
    page.get_by_role("textbox", name="Testo della rettifica (modello, Markdown)").fill(CORRECTION)
    page.get_by_role("textbox", name="Oggetto (modello)").click()  # the text is taken
    page.get_by_role("button", name="Crea la rettifica").click()
    correction = _flow_number(page, "Rettifica: " + re.escape(FLOW_NAME))
    expect(
        page.get_by_text(re.compile(rf"Rettifica creata: flusso n\. {correction}, {CITIZENS} "))
    ).to_be_visible()
    _ask_approval(page)

    # mrossi approves the correction (he did not write it), and it is sent.
    login(page, url, AUTHOR.username, AUTHOR.password)
    _approve_and_see_sent(page, url, correction)
    expect(
        page.get_by_role("link", name=f"Rettifica di n. {original}: apri il flusso originale")
    ).to_be_visible()

    # The archive of flows: each names the other.
    page.get_by_role("link", name="Flussi", exact=True).click()
    grid = page.frame_locator("iframe").first
    expect(grid.get_by_text(f"Rettifica di n. {original}", exact=True)).to_be_visible()
    expect(grid.get_by_text(f"Rettificata da n. {correction}", exact=True)).to_be_visible()
