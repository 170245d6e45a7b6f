"""`appio service approval`, `appio flow approve|reject`, and what `flow send|status|edit`
say about a flow waiting for approval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from appio_core.accounts.operators import create_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.services import enable_operator
from appio_core.cli import cli
from appio_core.cli.exits import SendExit
from appio_core.domain import Role

from .conftest import TEXT, fiscal_codes, recipient_csv

TARI = "Tributi - TARI"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def flow_id(app_env: str, tmp_path: Path, demo: dict[str, int], session: Session) -> int:
    """A flow on TARI, imported and activated by mrossi; gverdi is TARI's second operator."""
    create_operator(session, Actor.system(), "gverdi", "seconda-coppia-di-occhi", Role.OPERATOR)
    enable_operator(session, Actor.system(), TARI, "gverdi")
    session.commit()
    path = tmp_path / "destinatari.csv"
    path.write_bytes(recipient_csv(fiscal_codes(4, seed=21)))
    result = run(
        "--as", "mrossi", "flow", "import", str(path), "--service", TARI, "--name", "TARI 2027",
        "--subject-template", "Avviso per {{nome}}", "--text-template", TEXT,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    number = int(result.output.strip())
    assert run("--as", "mrossi", "flow", "activate", str(number)).exit_code == 0
    return number


def _state(flow_id: int) -> dict[str, object]:
    result = run("flow", "status", str(flow_id), "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


def test_service_approval_sets_the_policy_and_refuses_a_missing_or_extra_number(
    app_env: str, demo: dict[str, int]
) -> None:
    result = run("service", "approval", TARI, "above", "100")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Servizio «Tributi - TARI»: approvazione dei flussi per i flussi con più di 100"
        " destinatari.\n"
    )
    listed = json.loads(run("service", "list", "--format", "json").output)
    tari = next(s for s in listed if s["name"] == TARI)
    assert (tari["approval_policy"], tari["approval_threshold"]) == ("above", 100)
    missing = run("service", "approval", TARI, "above")
    assert missing.exit_code == 2
    assert "Con «above» indica il numero di destinatari" in missing.output
    extra = run("service", "approval", TARI, "always", "3")
    assert extra.exit_code == 2
    refused = run("--as", "mrossi", "service", "approval", TARI, "off")
    assert refused.exit_code == 1
    assert refused.output == (
        "Errore: Solo un amministratore può decidere quali flussi richiedono un'approvazione.\n"
    )
    assert run("service", "approval", TARI, "always").exit_code == 0
    assert "approvazione per ogni flusso" in run("service", "list").output


def test_a_held_flow_is_approved_by_another_operator_from_the_command_line(
    flow_id: int,
) -> None:
    assert run("service", "approval", TARI, "always").exit_code == 0
    sent = run("--as", "mrossi", "flow", "send", str(flow_id), "--wait")
    assert sent.exit_code == SendExit.NOT_SENT
    assert sent.output == (
        f"Flusso {flow_id}: in attesa di approvazione di un altro operatore (stato «In attesa"
        " di approvazione»).\n"
    )
    status = _state(flow_id)
    assert status["state"] == "In attesa di approvazione"
    assert status["approval"] == {
        "requested_by": "mrossi",
        "requested_at": status["approval"]["requested_at"],  # type: ignore[index]
        "approved_by": None,
        "approved_at": None,
        "note": None,
    }
    own = run("--as", "mrossi", "flow", "approve", str(flow_id))
    assert own.exit_code == 1
    assert own.output.startswith("Errore: Non puoi approvare un flusso preparato o inviato da te")
    approved = run("--as", "gverdi", "flow", "approve", str(flow_id), "--note", "Verificato.")
    assert approved.exit_code == 0, approved.output
    assert approved.output == f"Flusso {flow_id}: approvato, invio avviato (stato «In invio»).\n"
    status = _state(flow_id)
    assert status["state"] == "In invio"
    assert status["approval"]["approved_by"] == "gverdi"  # type: ignore[index]
    text = run("flow", "status", str(flow_id)).output
    assert "Approvato da gverdi il " in text and "Nota: Verificato." in text


def test_reject_needs_a_note_and_the_author_reads_it_in_the_status(flow_id: int) -> None:
    assert run("service", "approval", TARI, "always").exit_code == 0
    assert run("--as", "mrossi", "flow", "send", str(flow_id)).exit_code == 0
    bare = run("--as", "gverdi", "flow", "reject", str(flow_id))
    assert bare.exit_code == 2
    assert bare.output.startswith("Errore: Scrivi una nota per l'autore")
    assert _state(flow_id)["state"] == "In attesa di approvazione"
    rejected = run("--as", "gverdi", "flow", "reject", str(flow_id), "--note", "Testo da rifare.")
    assert rejected.exit_code == 0, rejected.output
    status = _state(flow_id)
    assert status["state"] == "Inattivo"
    assert str(status["approval"]["note"]).endswith(": Testo da rifare.")  # type: ignore[index]
    assert "Nota: Respinto da gverdi il " in run("flow", "status", str(flow_id)).output


def test_edit_and_replace_file_take_the_request_away_and_say_so(
    flow_id: int, tmp_path: Path
) -> None:
    assert run("service", "approval", TARI, "always").exit_code == 0
    assert run("--as", "mrossi", "flow", "send", str(flow_id)).exit_code == 0
    edited = run("--as", "mrossi", "flow", "edit", str(flow_id), "--name", "TARI 2027 bis")
    assert edited.exit_code == 0, edited.output
    assert "La richiesta di approvazione è ritirata: il flusso è di nuovo Inattivo." in (
        edited.output
    )
    assert _state(flow_id)["state"] == "Inattivo"
    assert run("--as", "mrossi", "flow", "activate", str(flow_id)).exit_code == 0
    assert run("--as", "mrossi", "flow", "send", str(flow_id)).exit_code == 0
    path = tmp_path / "nuovo.csv"
    path.write_bytes(recipient_csv(fiscal_codes(5, seed=22)))
    replaced = run("--as", "mrossi", "flow", "replace-file", str(flow_id), str(path))
    assert replaced.exit_code == 0, replaced.output
    assert "La richiesta di approvazione è ritirata" in replaced.output
    assert _state(flow_id)["state"] == "Inattivo"
