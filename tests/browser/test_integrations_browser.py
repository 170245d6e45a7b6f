"""«Integrazioni» in a real browser, end to end: an administrator creates an integration
with a webhook, the key shown once works against `appio api`, a message sent through the
API is sent by the app's worker, its signed webhook reaches the receiver (verified with
`standardwebhooks`) and the page's delivery log shows it delivered."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from standardwebhooks.webhooks import Webhook

from appio_core.demo.accounts import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME
from appio_core.io.models import TEST_FISCAL_CODE
from appio_core.io.simulator.demo import DEMO_SERVICES

from .conftest import APP_ENVIRONMENTS, ROOT, login
from .test_walk_browser import whole_page_screenshot

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("APPIO_SCREENSHOTS_DIR", "/tmp/appio-screenshots"))
SERVICE = DEMO_SERVICES[0].name
TEXT = (
    "Gentile cittadino, la informiamo che è disponibile l'avviso di pagamento della TARI"
    " 2026. Può consultarlo e pagarlo dalla sezione Tributi del sito del Comune."
)


class Receiver:
    """A comune's system receiving the webhooks: every body and its headers."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((body, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/io-flussi"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api(app_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [Path(sys.executable).parent / "appio", "api", "--port", str(port)],
        env=app_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("appio api did not start within 60 s")


def test_an_integration_made_on_the_page_sends_through_the_api_and_gets_its_webhook(
    page: Page, app_url: str, receiver: Receiver
) -> None:
    login(page, app_url, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    page.get_by_role("link", name="Integrazioni").click()
    expect(page.get_by_role("heading", name="Integrazioni")).to_be_visible()
    page.get_by_role("textbox", name="Nome", exact=True).fill("Tributi")
    page.get_by_role("combobox", name="Servizi").click()
    page.get_by_role("option", name=SERVICE).click()
    page.keyboard.press("Escape")
    page.get_by_role("textbox", name="Indirizzo del webhook (facoltativo)").fill(receiver.url)
    page.get_by_role("button", name="Crea integrazione").click()
    expect(page.get_by_text("Non verrà mostrata di nuovo")).to_be_visible()
    codes = page.get_by_test_id("stCode")
    expect(codes).to_have_count(2)
    key = codes.nth(0).inner_text().strip()
    secret = codes.nth(1).inner_text().strip()
    assert key.startswith("appio_") and secret.startswith("whsec_")
    SHOTS.mkdir(parents=True, exist_ok=True)
    whole_page_screenshot(page, SHOTS / "integrazioni-chiave.png")

    api, base = _api(APP_ENVIRONMENTS[app_url])
    try:
        answer = httpx.post(
            f"{base}/notifications",
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())},
            json={
                "service_name": SERVICE,
                "fiscal_code": TEST_FISCAL_CODE,
                "subject": "Avviso TARI 2026 disponibile",
                "markdown": TEXT,
            },
            timeout=10,
        )
        assert answer.status_code == 202, answer.text
        notification_id = answer.json()["id"]
        # The app's own worker (SQLite: started with the app) sends it.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = httpx.get(
                f"{base}/notifications/{notification_id}",
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            ).json()
            if state["outcome"] != "da inviare" and state["outcome"] != "in invio":
                break
            time.sleep(0.5)
        assert state["outcome"] == "accettato", state
    finally:
        api.terminate()
        api.wait(timeout=20)

    deadline = time.monotonic() + 60
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.3)
    body, headers = receiver.received[0]
    event = Webhook(secret).verify(body, headers)  # raises on a bad signature
    assert event["type"] == "notification.accepted"
    assert json.loads(body)["data"]["id"] == notification_id

    # The page: the integration used just now, its event delivered.
    page.reload()
    page.get_by_role("link", name="Integrazioni").click()
    grid = page.frame_locator("iframe").first
    grid.get_by_text("Tributi", exact=True).click()
    expect(page.get_by_text("Webhook di «Tributi»")).to_be_visible()
    log = page.frame_locator("iframe").nth(1)
    expect(log.get_by_text("Notifica accettata da IO")).to_be_visible()
    expect(log.get_by_text("consegnato").first).to_be_visible()
    page.mouse.move(0, 0)
    whole_page_screenshot(page, SHOTS / "integrazioni.png")
