"""The simulator reads a message's call-to-action buttons as App IO does, keeps them with
the message (and in its journal), and lists them with `require_secure_channels`."""

from __future__ import annotations

from pathlib import Path

import httpx
from io_helpers import TRIBUTI

from appio_core.content import cta
from appio_core.io.models import TEST_FISCAL_CODE
from appio_core.io.simulator import SimulatorApp, create_app, demo_config

TEXT = "Gentile cittadino, le ricordiamo la scadenza del pagamento della tassa sui rifiuti. " * 2
BUTTONS = cta.check_buttons(
    [
        ("Paga la TARI", "https://www.comune.example.it/tari", "Pay the TARI"),
        ("Accedi", "iosso://https://servizi.comune.example.it", ""),
    ]
)


async def _send(
    app: SimulatorApp, markdown: str, **content: object
) -> tuple[str, dict[str, object]]:
    """Sends the message; its id and its entry in the record's list, read over HTTP."""
    body = {
        "fiscal_code": TEST_FISCAL_CODE,
        "content": {"subject": "Promemoria TARI 2026", "markdown": markdown, **content},
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        answer = await http.post(
            "/api/v1/messages",
            json=body,
            headers={"Ocp-Apim-Subscription-Key": TRIBUTI.primary_key},
        )
        assert answer.status_code == 201, answer.text
        record = (await http.get("/__simulator/record")).json()
    message_id = str(answer.json()["id"])
    [listed] = [m for m in record["messages"] if m["id"] == message_id]
    return message_id, listed


async def test_the_buttons_and_secure_channel_are_kept_and_listed(sim: SimulatorApp) -> None:
    message_id, listed = await _send(
        sim, cta.with_front_matter(BUTTONS, TEXT), require_secure_channels=True
    )
    assert sim.record.messages[message_id].cta == [b.to_json() for b in BUTTONS]
    assert listed["cta"] == [b.to_json() for b in BUTTONS]
    assert listed["require_secure_channels"] is True


async def test_a_front_matter_the_app_cannot_read_is_accepted_without_buttons(
    sim: SimulatorApp,
) -> None:
    # IO's API does not look at the front matter: only the app ignores a broken one.
    message_id, listed = await _send(sim, "---\nit: [rotto\n---\n" + TEXT)
    assert sim.record.messages[message_id].cta is None
    assert (listed["cta"], listed["require_secure_channels"]) == (None, False)


async def test_a_restarted_simulator_still_knows_the_buttons(tmp_path: Path) -> None:
    journal = tmp_path / "simulatore-messaggi.jsonl"
    first = create_app(demo_config(processing_delay=0.0), journal=journal)
    message_id, _ = await _send(first, cta.with_front_matter(BUTTONS, TEXT))
    restarted = create_app(demo_config(), journal=journal)
    assert restarted.record.messages[message_id].cta == [b.to_json() for b in BUTTONS]
