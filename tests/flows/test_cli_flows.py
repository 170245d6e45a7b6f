"""`appio flow import|activate|send|status|list|...` and `appio worker`, as scripts use them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import seal_keys
from appio_core.cli import cli
from appio_core.domain import Outcome
from appio_core.flows.registry import FLOW_ACTIONS
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Faults, Kind
from appio_core.italian import ROME
from appio_core.storage.models import Flow, Notification, Service

from .conftest import (
    TEXT,
    TRIBUTI_IO_ID,
    expected_outcomes,
    fiscal_codes,
    recipient_csv,
    tally,
)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def files(app_env: str, tmp_path: Path, demo: dict[str, int]) -> dict[str, Path]:
    good = tmp_path / "destinatari.csv"
    good.write_bytes(recipient_csv(fiscal_codes(6, seed=42)))
    bad = tmp_path / "sbagliato.csv"
    bad.write_bytes(recipient_csv(fiscal_codes(3, seed=43)) + b"XYZ;Nessuno\n")
    text = tmp_path / "testo.md"
    text.write_text(TEXT)
    return {"good": good, "bad": bad, "text": text}


def _import(files: dict[str, Path], which: str = "good", *more: str) -> Result:
    return run(
        "flow",
        "import",
        str(files[which]),
        "--service",
        "Tributi - TARI",
        "--name",
        "Prova CLI",
        "--subject-template",
        "Avviso per {{nome}}",
        "--text-template-file",
        str(files["text"]),
        *more,
    )


def test_import_prints_the_new_flow_id(files: dict[str, Path]) -> None:
    result = _import(files)
    assert result.exit_code == 0, result.output
    flow_id = int(result.output.strip())
    status = json.loads(run("flow", "status", str(flow_id), "--format", "json").output)
    assert status["id"] == flow_id
    assert status["state"] == "Inattivo"
    assert status["counts"] == {"da inviare": 6}


def test_import_takes_the_start_time_in_italian_form(
    files: dict[str, Path], sessions: sessionmaker[Session]
) -> None:
    result = _import(files, "good", "--scheduled-at", "31/12/2030 09:30")
    assert result.exit_code == 0, result.output
    with sessions() as session:
        flow = session.get(Flow, int(result.output.strip()))
        assert flow is not None and flow.scheduled_at is not None
        assert flow.scheduled_at.astimezone(ROME).strftime("%d/%m/%Y %H:%M") == "31/12/2030 09:30"
    wrong = _import(files, "good", "--scheduled-at", "2030-12-31 09:30")
    assert wrong.exit_code == 2
    assert "scrivilo come gg/mm/aaaa hh:mm" in wrong.output


def test_import_of_a_file_with_row_errors_exits_1_with_the_report(
    files: dict[str, Path],
) -> None:
    result = _import(files, "bad")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["error_rows"] == 1
    assert "nessun destinatario è stato importato" in result.stderr


def test_send_wait_returns_when_the_flow_has_finished(files: dict[str, Path]) -> None:
    flow_id = _import(files).output.strip()
    assert "attivato" in run("flow", "activate", flow_id).output
    result = run("flow", "send", flow_id, "--wait")
    # Two of the file's six citizens are not on IO (the simulator's population): exit 3.
    expected = tally(expected_outcomes(in_process_simulator(), fiscal_codes(6, seed=42)).values())
    assert expected == {Outcome.ACCEPTED: 4, Outcome.NOT_ON_IO: 2}
    assert result.exit_code == 3, result.output
    status = json.loads(run("flow", "status", flow_id, "--format", "json").output)
    assert status["state"] == "Invio incompleto"
    assert status["counts"] == {"accettato": 4, "non su IO": 2}


def test_sending_the_same_file_twice_today_needs_force(files: dict[str, Path]) -> None:
    first = _import(files).output.strip()
    run("flow", "activate", first)
    run("flow", "send", first)
    second = _import(files).output.strip()
    run("flow", "activate", second)
    refused = run("flow", "send", second)
    assert refused.exit_code == 1
    assert "Usa --force per confermare." in refused.output
    assert run("flow", "send", second, "--force").exit_code == 0


def test_pause_resume_and_cancel_move_the_flow(files: dict[str, Path]) -> None:
    flow_id = _import(files).output.strip()
    run("flow", "activate", flow_id)
    run("flow", "send", flow_id)
    assert "stato «Sospeso»" in run("flow", "pause", flow_id).output
    assert "stato «In invio»" in run("flow", "resume", flow_id).output
    assert "stato «Annullato»" in run("flow", "cancel", flow_id).output
    refused = run("flow", "resume", flow_id)
    assert refused.exit_code == 1
    assert "«Riprendi» è possibile solo per un flusso «Sospeso»" in refused.output


def test_list_filters_by_state_and_service(files: dict[str, Path]) -> None:
    flow_id = int(_import(files).output.strip())
    rows = json.loads(
        run(
            "flow", "list", "--state", "Inattivo", "--service", "Tributi - TARI", "--format", "json"
        ).output
    )
    assert flow_id in [r["id"] for r in rows]
    assert all(r["state"] == "Inattivo" for r in rows)


def test_the_worker_once_sends_what_is_in_sending(files: dict[str, Path]) -> None:
    flow_id = _import(files).output.strip()
    run("flow", "activate", flow_id)
    run("flow", "send", flow_id)
    assert run("worker", "--once").exit_code == 0
    status = json.loads(run("flow", "status", flow_id, "--format", "json").output)
    assert "da inviare" not in status["counts"]


def test_export_writes_the_recipients_workbook(files: dict[str, Path], tmp_path: Path) -> None:
    flow_id = _import(files).output.strip()
    target = tmp_path / "esiti.xlsx"
    result = run("flow", "export", flow_id, "--output", str(target))
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(target)
    rows = list(workbook["Destinatari"].values)
    assert rows[0][:4] == ("Riga del file", "Codice fiscale", "Oggetto", "Esito")
    assert [r[3] for r in rows[1:]] == ["da inviare"] * 6
    assert rows[0][-1] == "nome"  # the file's own columns follow


def test_status_reads_can_be_switched_off_for_a_flow(
    files: dict[str, Path], sessions: sessionmaker[Session]
) -> None:
    flow_id = run(
        "flow",
        "import",
        str(files["good"]),
        "--service",
        "Tributi - TARI",
        "--name",
        "Senza verifica",
        "--subject-template",
        "Avviso per {{nome}}",
        "--text-template-file",
        str(files["text"]),
        "--status-check-hours",
        "0",
    ).output.strip()
    run("flow", "activate", flow_id)
    assert run("flow", "send", flow_id, "--wait").exit_code == 3  # two are not on IO
    with sessions() as session:
        query = select(Notification).where(Notification.flow_id == int(flow_id))
        rows = session.scalars(query).all()
    # The file's citizens on IO (the simulator's population) got a message, the others none.
    outcomes = expected_outcomes(in_process_simulator(), fiscal_codes(6, seed=42))
    on_io = [cf for cf, outcome in outcomes.items() if outcome == Outcome.ACCEPTED]
    assert sorted(r.fiscal_code for r in rows if r.io_message_id) == sorted(on_io)
    assert len(on_io) == 4
    assert [r.next_status_check_at for r in rows] == [None] * 6


def test_every_action_of_the_registry_is_a_flow_command_with_its_help() -> None:
    for action in FLOW_ACTIONS:
        result = run("flow", action.command, "--help")
        assert result.exit_code == 0, result.output
        assert action.help in " ".join(result.output.split())


def test_uncertain_rows_are_resent_or_marked_sent_from_the_command_line(
    files: dict[str, Path], sessions: sessionmaker[Session]
) -> None:
    flow_id = _import(files).output.strip()
    run("flow", "activate", flow_id)
    run("flow", "send", flow_id)
    with sessions.begin() as session:
        rows = session.scalars(
            select(Notification)
            .where(Notification.flow_id == int(flow_id))
            .order_by(Notification.id)
        ).all()
        for row in rows:
            row.outcome = Outcome.ACCEPTED
        rows[0].outcome = rows[1].outcome = rows[2].outcome = Outcome.UNCERTAIN
        first = rows[0].id
    marked = run("flow", "mark-uncertain-sent", flow_id, "--recipient", str(first))
    # No row left to send: the flow finishes, incomplete while two are uncertain.
    assert marked.output == (
        f"Flusso {flow_id}: 1 destinatario segnato come inviato (stato «Invio incompleto»).\n"
    )
    resent = run("flow", "resend-uncertain", flow_id)
    assert (
        resent.output
        == f"Flusso {flow_id}: 2 destinatari di nuovo da inviare (stato «In invio»).\n"
    )
    status = json.loads(run("flow", "status", flow_id, "--format", "json").output)
    assert status["counts"] == {"da inviare": 2, "accettato": 4}


def test_a_worker_setting_that_is_not_a_number_is_refused_in_one_line(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPIO_WORKER_BATCH_SIZE", "tanti")
    result = run("worker", "--once")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Errore: APPIO_WORKER_BATCH_SIZE deve essere un numero, non «tanti»."
    )


def test_column_says_what_a_column_means_on_validate_and_import(
    files: dict[str, Path], tmp_path: Path
) -> None:
    payment = tmp_path / "con-importo.csv"
    codes = fiscal_codes(2, seed=8)
    payment.write_text(
        "codice_fiscale;nome;importo\n"
        + "".join(f"{cf};Nome {i};12,50\n" for i, cf in enumerate(codes))
    )
    common = [
        "--subject-template",
        "Avviso per {{nome}}",
        "--text-template-file",
        str(files["text"]),
    ]
    as_text = run("flow", "validate", str(payment), "--natura", "Comunicazione", *common)
    assert as_text.exit_code == 0, as_text.output
    assert "- importo: solo testo, non usata nel messaggio" in as_text.output
    as_payment = run(
        "flow", "validate", str(payment), "--natura", "Comunicazione",
        "--column", "Importo=importo pagoPA", *common,
    )  # fmt: skip
    assert as_payment.exit_code == 1  # a payment needs its notice number
    assert "- importo: importo pagoPA in euro, come 1.234,56" in as_payment.output
    wrong = run("flow", "validate", str(payment), "--column", "importo=soldi", *common)
    assert wrong.exit_code == 2 and "Significato «soldi» sconosciuto" in wrong.output
    imported = run(
        "flow", "import", str(payment), "--service", "Tributi - TARI", "--name", "Con importo",
        "--natura", "Avviso di pagamento", "--column", "importo=solo testo", *common,
        "--force",  # a payment flow without payment columns is created only when confirmed
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output


# ---- the exit status of `flow send --wait` ---------------------------------------------------


@pytest.fixture
def faults() -> Iterator[Callable[[Faults], None]]:
    simulator = in_process_simulator()
    before = simulator.faults
    yield simulator.set_faults
    simulator.set_faults(before)


def _citizens(*kinds: Kind) -> list[str]:
    """One codice fiscale of each kind, distinct, as the simulator's population has them."""
    population = in_process_simulator().population
    return [
        population.find(kind, TRIBUTI_IO_ID, 50 + i)[50 + i - 1] for i, kind in enumerate(kinds)
    ]


def _ready_flow(tmp_path: Path, codes: list[str], *more: str) -> str:
    """A flow of these citizens, imported and activated: its number."""
    source = tmp_path / "scelti.csv"
    source.write_bytes(recipient_csv(codes))
    flow_id = run(
        "flow", "import", str(source), "--service", "Tributi - TARI", "--name", "Uscita",
        "--subject-template", "Avviso per {{nome}}", "--text-template", TEXT, *more,
    ).output.strip()  # fmt: skip
    assert "attivato" in run("flow", "activate", flow_id).output
    return flow_id


def _state(flow_id: str) -> str:
    return str(json.loads(run("flow", "status", flow_id, "--format", "json").output)["state"])


def test_send_wait_exits_0_when_every_citizen_was_reached(
    files: dict[str, Path], tmp_path: Path
) -> None:
    flow_id = _ready_flow(tmp_path, _citizens(Kind.WITH_IO, Kind.WITH_IO, Kind.WITH_IO))
    result = run("flow", "send", flow_id, "--wait")
    assert result.exit_code == 0, result.output
    assert _state(flow_id) == "Inviato"


def test_send_wait_exits_3_when_some_citizens_cannot_receive_it(
    files: dict[str, Path], tmp_path: Path
) -> None:
    flow_id = _ready_flow(tmp_path, _citizens(Kind.WITH_IO, Kind.WITHOUT_IO, Kind.BLOCKED))
    result = run("flow", "send", flow_id, "--wait")
    assert result.exit_code == 3, result.output
    assert _state(flow_id) == "Invio incompleto"


def test_send_wait_exits_4_when_a_send_is_uncertain(
    files: dict[str, Path], tmp_path: Path, faults: Callable[[Faults], None]
) -> None:
    codes = _citizens(Kind.WITH_IO, Kind.WITH_IO)
    flow_id = _ready_flow(tmp_path, codes, "--no-profile-check")
    faults(Faults(error_500_rate=1.0))  # every send's answer lost, whatever IO did
    result = run("flow", "send", flow_id, "--wait")
    assert result.exit_code == 4, result.output
    status = json.loads(run("flow", "status", flow_id, "--format", "json").output)
    assert (status["state"], status["counts"]) == ("Invio incompleto", {"esito incerto": 2})


def test_send_wait_exits_1_when_the_flow_stops_before_its_end(
    files: dict[str, Path],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> None:
    flow_id = _ready_flow(tmp_path, _citizens(Kind.WITH_IO, Kind.WITH_IO))
    requests = len(in_process_simulator().record.requests)
    with sessions.begin() as session:  # keys IO does not know: the flow is paused
        service = session.scalars(select(Service).where(Service.name == "Tributi - TARI")).one()
        seal_keys(service, "a" * 32, "b" * 32, keybox)
    result = run("flow", "send", flow_id, "--wait")
    assert result.exit_code == 1, result.output
    assert _state(flow_id) == "Sospeso"
    refused = in_process_simulator().record.requests[requests:]
    assert {r.status for r in refused} == {401}  # nothing sent


def test_send_help_lists_the_exit_statuses_of_wait() -> None:
    shown = run("flow", "send", "--help").output
    assert "Stato di uscita con --wait" in shown
    assert "  4  almeno un destinatario con esito incerto" in shown


def test_a_flow_paused_for_a_missing_permission_says_what_to_ask_pagopa(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Issue 16: PagoPA has not granted the demo's Mensa premium (ADVANCED) messages."""
    source = tmp_path / "mensa.csv"
    source.write_bytes(recipient_csv(_citizens(Kind.WITH_IO, Kind.WITH_IO)))
    flow_id = run(
        "flow", "import", str(source), "--service", "Servizi scolastici - Mensa", "--name",
        "Mensa avanzata", "--subject-template", "Avviso per {{nome}}", "--text-template", TEXT,
        "--advanced", "--no-profile-check",
    ).output.strip()  # fmt: skip
    run("flow", "activate", flow_id)
    result = run("flow", "send", flow_id, "--wait")
    assert result.exit_code == 1, result.output  # stopped before its end
    assert f"Flusso {flow_id}: Sospeso." in result.output
    assert (
        "  Invio sospeso automaticamente. Il servizio non è abilitato da PagoPA ai messaggi"
        " avanzati"
    ) in result.output
    assert "«ApiMessageWriteAdvanced»" in result.output
    assert "da inviare: 2" in result.output  # nothing lost
