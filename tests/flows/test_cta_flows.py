"""Buttons and «canale sicuro» on a flow: the same for every recipient, sent by the
dispatcher, kept on the flow, changed while «Inattivo», and on the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.cli import cli
from appio_core.content import cta
from appio_core.domain import Outcome
from appio_core.errors import InvalidInput
from appio_core.flows import actions, editing, importing, queries
from appio_core.io.simulator.app import SimulatorApp
from appio_core.sending.dispatcher import Dispatcher
from appio_core.storage.models import Flow, Notification

from .conftest import TEXT, fiscal_codes, recipient_csv

BUTTONS = cta.check_buttons(
    [
        ("Paga la TARI", "https://www.comune.example.it/tari", ""),
        ("Accedi", "iosso://https://servizi.comune.example.it", "Sign in"),
    ]
)


def _flow(
    session: Session, actor: Actor, service_id: int, codes: list[str], **options: object
) -> Flow:
    return importing.import_flow(
        session,
        actor,
        service_id=service_id,
        name="TARI con pulsanti",
        natura="Comunicazione",
        source=recipient_csv(codes),
        filename="destinatari.csv",
        templates=importing.Templates(subject="Avviso per {{nome}}", text=TEXT),
        options=importing.FlowOptions(**options),  # type: ignore[arg-type]
    )


async def test_every_recipient_gets_the_flows_buttons_and_secure_channel(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    codes = fiscal_codes(20)
    flow = _flow(
        session, operator, demo["Tributi - TARI"], codes, buttons=BUTTONS, secure_channel=True
    )
    view = queries.get_flow(session, operator, flow.id)
    assert (view.buttons, view.secure_channel) == (BUTTONS, True)
    actions.activate(session, operator, flow.id)
    actions.send(session, operator, flow.id)
    session.commit()
    await make_dispatcher(status_first_check=3600.0).run(once=True)
    messages = list(simulator.record.messages.values())
    assert messages  # the population has citizens on IO among the 20
    for message in messages:
        assert message.content["markdown"].startswith(cta.front_matter(BUTTONS) + "Gentile ")
        assert message.content["require_secure_channels"] is True
        assert message.cta == [b.to_json() for b in BUTTONS]
    session.expire_all()
    rows = queries.list_recipients(session, operator, flow.id)
    accepted = [r for r in rows if r.outcome == Outcome.ACCEPTED]
    assert len(accepted) == len(messages)


def test_a_file_whose_texts_fit_only_without_the_buttons_is_refused(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    long_text = "Gentile {{nome}}, " + "x" * (10_000 - 40)
    without = importing.check_flow_file(
        session, operator, demo["Tributi - TARI"], recipient_csv(fiscal_codes(2)),
        "destinatari.csv", importing.Templates(subject="Avviso per {{nome}}", text=long_text),
    )  # fmt: skip
    assert not without.has_errors  # the same file fits without buttons
    with pytest.raises(importing.FlowFileRefused) as refused:
        importing.import_flow(
            session,
            operator,
            service_id=demo["Tributi - TARI"],
            name="Troppo lungo",
            natura="Comunicazione",
            source=recipient_csv(fiscal_codes(2)),
            filename="destinatari.csv",
            templates=importing.Templates(subject="Avviso per {{nome}}", text=long_text),
            options=importing.FlowOptions(buttons=BUTTONS),
        )
    limit = cta.content_rules(BUTTONS).text_max
    said = json.dumps(refused.value.report.to_dict(), ensure_ascii=False)
    assert "testo_lungo" in said
    assert f"al massimo {limit:,}".replace(",", ".") in said


def test_buttons_and_secure_channel_change_while_inattivo_and_are_checked_against_every_text(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = _flow(session, operator, demo["Tributi - TARI"], fiscal_codes(3))
    editing.edit_flow(
        session, operator, flow.id, editing.FlowChanges(buttons=BUTTONS, secure_channel=True)
    )
    assert (cta.from_json(flow.cta), flow.secure_channel) == (BUTTONS, True)
    # A recipient's text that the buttons would push over IO's limit: nothing changes.
    session.execute(
        update(Notification)
        .where(Notification.flow_id == flow.id, Notification.row_number == 3)
        .values(markdown="y" * 9_800)
    )
    editing.edit_flow(session, operator, flow.id, editing.FlowChanges(buttons=()))
    assert flow.cta is None
    with pytest.raises(InvalidInput) as refused:
        editing.edit_flow(session, operator, flow.id, editing.FlowChanges(buttons=BUTTONS))
    assert refused.value.message.startswith(
        "Con questi pulsanti 1 messaggi sono troppo lunghi per IO (righe 3). Alla riga 3:"
        " Il testo è troppo lungo: ha 9.800 caratteri"
    )
    assert flow.cta is None


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_the_cli_imports_edits_and_reports_buttons_and_secure_channel(
    app_env: str, tmp_path: Path, demo: dict[str, int]
) -> None:
    source = tmp_path / "destinatari.csv"
    source.write_bytes(recipient_csv(fiscal_codes(4, seed=7)))
    imported = run(
        "flow", "import", str(source), "--service", "Tributi - TARI", "--name", "CLI pulsanti",
        "--subject-template", "Avviso per {{nome}}", "--text-template", TEXT,
        "--cta", "Paga la TARI=https://www.comune.example.it/tari",
        "--cta", "Accedi|Sign in=iosso://https://servizi.comune.example.it",
        "--secure-channel",
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    flow_id = imported.output.strip()
    status = json.loads(run("flow", "status", flow_id, "--format", "json").output)
    assert status["cta"] == [b.to_json() for b in BUTTONS]
    assert status["require_secure_channels"] is True
    assert "Canale sicuro: sì" in run("flow", "status", flow_id).output
    edited = run("flow", "edit", flow_id, "--no-cta", "--no-secure-channel")
    assert edited.exit_code == 0, edited.output
    status = json.loads(run("flow", "status", flow_id, "--format", "json").output)
    assert (status["cta"], status["require_secure_channels"]) == ([], False)
    wrong = run("flow", "edit", flow_id, "--cta", "Sito=http://www.comune.example.it")
    assert wrong.exit_code == 2
    assert "l'indirizzo deve iniziare con https:// (non http://)" in wrong.output
