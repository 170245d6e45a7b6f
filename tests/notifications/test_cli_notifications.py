"""`appio notification send|list|show|export`: the same core, one clear line per error,
exit 0 done, 1 refused or negative outcome, 2 bad input with nothing sent."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result

from appio_core.cli import cli
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind

from .conftest import SUBJECT, TARI, TEXT, citizen


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _send(*extra: str, fiscal_code: str | None = None) -> Result:
    code = fiscal_code or citizen(Kind.WITH_IO, 8)
    return run(
        "notification", "send", "--service", TARI.name, "--fiscal-code", code,
        "--subject", SUBJECT, "--text", TEXT, *extra,
    )  # fmt: skip


def test_send_prints_the_outcome_as_json_and_lists_it(services: dict[str, int]) -> None:
    sent = _send("--format", "json", "--amount", "1.234,56", "--notice-number",
                 "302000000000000001", "--due-date", "31/12/2026")  # fmt: skip
    assert sent.exit_code == 0, sent.output
    outcome = json.loads(sent.output)
    assert outcome["outcome"] == "accettato" and len(outcome["io_message_id"]) == 26
    listed = json.loads(run("notification", "list", "--single", "--format", "json").output)
    assert len(listed) == 1
    row = listed[0]
    assert {k: row[k] for k in ("id", "flow_id", "service", "subject", "outcome")} == {
        "id": outcome["id"],
        "flow_id": None,
        "service": TARI.name,
        "subject": SUBJECT,
        "outcome": "accettato",
    }
    assert row["io_message_id"] == outcome["io_message_id"]
    assert row["email_status"] == "Non comunicato da IO"
    assert row["created_at"].endswith(("+01:00", "+02:00"))  # Italian time, with its offset
    assert row["amount"] == "€ 1.234,56"
    stored = in_process_simulator().record.messages[outcome["io_message_id"]]
    assert stored.content["payment_data"]["amount"] == 123456


def test_a_citizen_not_on_io_is_a_negative_outcome_exit_1(services: dict[str, int]) -> None:
    result = _send(fiscal_code=citizen(Kind.WITHOUT_IO, 2))
    assert result.exit_code == 1
    assert result.output.startswith("Notifica n. 1: non su IO.")


def test_bad_input_exits_2_and_sends_nothing(services: dict[str, int]) -> None:
    before = len(in_process_simulator().record.requests)
    result = run(
        "notification", "send", "--service", TARI.name, "--fiscal-code", "RSSMRA80A01H501X",
        "--subject", "Breve", "--text", TEXT,
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0].startswith("Errore: Codice fiscale: L'ultimo carattere del codice fiscale")
    assert lines[1] == (
        "Errore: Oggetto: L'oggetto è troppo corto: ha 5 caratteri, ne servono almeno 10."
    )
    assert lines[-1] == "Nessun messaggio inviato."
    assert len(in_process_simulator().record.requests) == before


def test_dates_are_taken_in_italian_form(services: dict[str, int]) -> None:
    _send()
    wrong = run("notification", "list", "--from", "2026-12-01")
    assert wrong.exit_code == 2
    assert "scrivila come gg/mm/aaaa" in wrong.output
    assert run("notification", "list", "--from", "01/01/2020").output.count("\t") >= 6


def test_show_gives_the_detail_with_stato_mail(services: dict[str, int]) -> None:
    sent = json.loads(_send("--format", "json").output)
    shown = run("notification", "show", str(sent["id"]))
    assert shown.exit_code == 0
    assert f"Notifica n. {sent['id']} (notifica singola)" in shown.output
    assert "Stato e-mail: Non comunicato da IO" in shown.output
    data = json.loads(run("notification", "show", str(sent["id"]), "--format", "json").output)
    assert data["outcome"] == "accettato" and data["history"] == []


def test_export_writes_the_whole_filtered_archive(services: dict[str, int], tmp_path: Path) -> None:
    for n in range(2):
        _send(fiscal_code=citizen(Kind.WITH_IO, 10 + n))
    target = tmp_path / "notifiche.xlsx"
    result = run("notification", "export", "--service", TARI.name, "--output", str(target))
    assert result.output == f"2 notifiche esportate in {target}.\n"
    rows = list(openpyxl.load_workbook(target)["Notifiche"].values)
    assert len(rows) == 3
    refused = run("notification", "export", "--output", str(tmp_path / "notifiche.csv"))
    assert refused.exit_code == 1
    assert not (tmp_path / "notifiche.csv").exists()


def test_flow_list_exports_the_flows_archive(services: dict[str, int], tmp_path: Path) -> None:
    target = tmp_path / "flussi.xlsx"
    result = run("flow", "list", "--output", str(target))
    assert result.output == f"0 flussi esportati in {target}.\n"
    header = next(iter(openpyxl.load_workbook(target)["Flussi"].values))
    assert header[:2] == ("N.", "Flusso")
