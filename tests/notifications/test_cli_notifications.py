"""`appio notification send|list|show|export`: the same core, one clear line per error;
`send` exits with what happened to the message (0 accepted, 1 nothing left for IO, 2 bad
input, 3 IO did not take it, 4 esito incerto), and `--request-key` makes it safe to repeat."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from appio_core.cli import cli
from appio_core.cli.exits import SendExit, single_exit
from appio_core.domain import Outcome
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Faults, Kind
from appio_core.notifications.single import SingleResult

from .conftest import MENSA, SUBJECT, TARI, TEXT, citizen


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _send(*extra: str, fiscal_code: str | None = None, operator: str | None = None) -> Result:
    code = fiscal_code or citizen(Kind.WITH_IO, 8)
    acting = ["--as", operator] if operator else []
    return run(
        *acting, "notification", "send", "--service", TARI.name, "--fiscal-code", code,
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


def test_a_citizen_not_on_io_is_a_negative_outcome_exit_3(services: dict[str, int]) -> None:
    result = _send(fiscal_code=citizen(Kind.WITHOUT_IO, 2))
    assert result.exit_code == 3
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


def test_a_refusal_for_a_missing_permission_is_explained_on_the_command_line(
    services: dict[str, int],
) -> None:
    """Issue 16: PagoPA has not granted the demo's Mensa premium (ADVANCED) messages."""
    result = run(
        "notification", "send", "--service", MENSA.name, "--fiscal-code",
        citizen(Kind.WITH_IO, 9), "--subject", SUBJECT, "--text", TEXT, "--advanced",
    )  # fmt: skip
    assert result.exit_code == 3, result.output  # IO answered and did not take it
    assert result.output.startswith("Notifica n. 1: errore. Il servizio non è abilitato da")
    assert "chiedi a PagoPA" in result.output and "ApiMessageWriteAdvanced" in result.output
    assert "You are not allowed" not in result.output  # IO's English stays out
    shown = run("notification", "show", "1")
    assert "Dettaglio: Il servizio non è abilitato da PagoPA ai messaggi avanzati" in shown.output


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
    assert "Stato Mail: Non comunicato da IO" in shown.output
    # The seed's word for the message body; the JSON keeps its key.
    assert "\nContenuto:\n  " + TEXT.splitlines()[0] in shown.output
    assert "Stato e-mail" not in shown.output
    data = json.loads(run("notification", "show", str(sent["id"]), "--format", "json").output)
    assert data["outcome"] == "accettato" and data["history"] == []
    assert "email_status" in data and "markdown" in data


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


# ---- exit status and request keys ------------------------------------------------------------


@pytest.fixture
def faults() -> Iterator[Callable[[Faults], None]]:
    simulator = in_process_simulator()
    before = simulator.faults
    yield simulator.set_faults
    simulator.set_faults(before)


def _requests() -> int:
    return len(in_process_simulator().record.requests)


def _messages_to(fiscal_code: str) -> list[str]:
    return in_process_simulator().record.sends_by_fiscal_code().get(fiscal_code, [])


BY_KIND = [
    (Kind.WITH_IO, 0, "accettato da IO, ID messaggio"),
    (Kind.WITHOUT_IO, 3, "non su IO. Il cittadino non usa l'app IO"),
    (Kind.BLOCKED, 3, "servizio disattivato dal cittadino. Il cittadino ha disattivato"),
]


@pytest.mark.parametrize(("kind", "status", "said"), BY_KIND, ids=[k.name for k, _, _ in BY_KIND])
def test_the_exit_status_says_whether_io_took_the_message(
    services: dict[str, int], kind: Kind, status: int, said: str
) -> None:
    code = citizen(kind, 40)
    result = _send(fiscal_code=code)
    assert result.exit_code == status, result.output
    assert result.output.startswith(f"Notifica n. 1: {said}")
    assert len(_messages_to(code)) == (1 if status == 0 else 0)


def test_io_answering_503_exits_3_and_nothing_is_delivered(
    services: dict[str, int], faults: Callable[[Faults], None]
) -> None:
    code = citizen(Kind.WITH_IO, 41)
    faults(Faults(error_503_rate=1.0))
    result = _send(fiscal_code=code)
    assert result.exit_code == 3, result.output
    assert result.output == (
        "Notifica n. 1: errore. IO non è disponibile in questo momento (codice 503): riprova"
        " più tardi. Nessun messaggio è partito: puoi inviarlo di nuovo dal dettaglio.\n"
    )
    assert _messages_to(code) == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nobody listens once it is closed


def test_io_unreachable_exits_1_and_nothing_is_sent(
    services: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPIO_IO_BASE_URL", f"http://127.0.0.1:{_closed_port()}/api/v1")
    result = _send(fiscal_code=citizen(Kind.WITH_IO, 42))
    assert result.exit_code == 1, result.output
    assert result.output == (
        "Notifica n. 1: errore. Impossibile raggiungere IO (errore di rete): controlla la"
        " connessione del server a Internet e riprova. Nessun messaggio è partito: puoi"
        " inviarlo di nuovo dal dettaglio.\n"
    )


def test_an_uncertain_send_exits_4_and_its_key_never_sends_it_again(
    services: dict[str, int], faults: Callable[[Faults], None]
) -> None:
    code = citizen(Kind.WITH_IO, 43)
    faults(Faults(error_500_rate=1.0))  # the send's answer is lost, whatever IO did
    first = run(
        "io", "send", "--service", TARI.name, "--fiscal-code", code, "--subject", SUBJECT,
        "--text", TEXT, "--request-key", "script-43",
    )  # fmt: skip
    assert first.exit_code == 4, first.output
    assert first.output.startswith("Notifica n. 1: esito incerto. Non è possibile sapere")
    faults(Faults())
    requests = _requests()
    again = _send("--request-key", "script-43", fiscal_code=code)
    assert again.exit_code == 4, again.output
    assert again.output.endswith(
        "\nRichiesta già ricevuta con questa chiave: nessun nuovo invio.\n"
    )
    assert _requests() == requests


def test_a_repeated_request_key_answers_with_the_first_outcome_and_sends_nothing(
    services: dict[str, int],
) -> None:
    code = citizen(Kind.WITH_IO, 44)
    first = _send("--request-key", "script-44", "--format", "json", fiscal_code=code)
    assert first.exit_code == 0, first.output
    sent = json.loads(first.output)
    again = _send("--request-key", "script-44", fiscal_code=code)
    assert again.exit_code == 0
    assert again.output == (
        f"Notifica n. {sent['id']}: accettato da IO, ID messaggio {sent['io_message_id']}.\n"
        "Richiesta già ricevuta con questa chiave: nessun nuovo invio.\n"
    )
    assert _messages_to(code) == [sent["io_message_id"]]


def test_a_request_key_used_for_another_message_exits_2_and_sends_nothing(
    services: dict[str, int],
) -> None:
    code = citizen(Kind.WITH_IO, 45)
    assert _send("--request-key", "script-45", fiscal_code=code).exit_code == 0
    requests = _requests()
    other = _send("--request-key", "script-45", "--amount", "10,00", "--notice-number",
                  "302000000000000001", fiscal_code=code)  # fmt: skip
    assert other.exit_code == 2
    assert other.output == (
        "Errore: La chiave di richiesta è già stata usata per un altro messaggio (notifica n."
        " 1): questo messaggio non è stato inviato. Per inviarlo usa una chiave nuova: nella"
        " pagina premi «Nuova notifica», dalla riga di comando cambia --request-key.\n"
        "Nessun messaggio inviato.\n"
    )
    assert _requests() == requests
    assert len(_messages_to(code)) == 1


def test_a_request_key_is_its_operators_own(services: dict[str, int]) -> None:
    code = citizen(Kind.WITH_IO, 46)
    sent = [
        json.loads(_send("--request-key", "k-46", "--format", "json", fiscal_code=code,
                         operator=name).output)
        for name in ("mrossi", "admin")
    ]  # fmt: skip
    assert [s["repeated"] for s in sent] == [False, False]
    assert sent[0]["id"] != sent[1]["id"]
    assert len(_messages_to(code)) == 2


def test_a_request_key_that_cannot_be_stored_exits_2(services: dict[str, int]) -> None:
    requests = _requests()
    result = _send("--request-key", "k" * 65)
    assert result.exit_code == 2
    assert result.output == (
        "Errore: La chiave di richiesta deve avere da 1 a 64 caratteri, senza spazi né lettere"
        " accentate (ad esempio un UUID).\nNessun messaggio inviato.\n"
    )
    assert _requests() == requests


RESULTS = [
    (Outcome.ACCEPTED, 201, SendExit.ACCEPTED),
    (Outcome.DELIVERED, 201, SendExit.ACCEPTED),
    (Outcome.NOT_ON_IO, 404, SendExit.REFUSED),
    (Outcome.SERVICE_BLOCKED, 200, SendExit.REFUSED),
    (Outcome.REJECTED, 201, SendExit.REFUSED),
    (Outcome.ERROR, 400, SendExit.REFUSED),  # IO refused it
    (Outcome.ERROR, 429, SendExit.REFUSED),  # IO answered: not now
    (Outcome.ERROR, None, SendExit.NOT_SENT),  # IO never answered
    (Outcome.UNCERTAIN, 500, SendExit.UNCERTAIN),
    (Outcome.UNCERTAIN, None, SendExit.UNCERTAIN),
    (Outcome.SENDING, None, SendExit.UNCERTAIN),  # a repeat while the first is under way
]


@pytest.mark.parametrize(("outcome", "http_status", "status"), RESULTS)
def test_each_outcome_of_a_send_has_its_exit_status(
    outcome: Outcome, http_status: int | None, status: SendExit
) -> None:
    result = SingleResult(1, outcome, None, http_status, None, repeated=False)
    assert single_exit(result) == status


HELP_LINES = [
    "  0  IO ha accettato",
    "  1  nessuna richiesta",
    "  2  dati non validi",
    "  3  IO ha risposto",
    "  4  esito incerto",
    "--request-key CHIAVE",
]


@pytest.mark.parametrize("command", [["notification", "send"], ["io", "send"]])
def test_send_help_lists_the_exit_statuses(command: list[str]) -> None:
    shown = run(*command, "--help").output
    assert [line for line in HELP_LINES if line not in shown] == []
