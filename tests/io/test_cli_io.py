"""`appio io ...` and `appio simulator`, as IT staff use them to check a key."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.operators import get_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.cli import cli
from appio_core.demo.accounts import seed_demo
from appio_core.errors import AppError
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Faults
from appio_core.notifications.recipient_check import check_recipient
from appio_core.storage.models import Service

TARI = "Tributi - TARI"
TEXT = "Gentile cittadino, le ricordiamo la scadenza del pagamento della tassa sui rifiuti. " * 2


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def demo(app_env: str, session: Session, keybox: KeyBox, tmp_path: Path) -> Path:
    """The demo services on the in-process simulator; returns a message text file."""
    seed_demo(session, keybox)  # services and operators only, not `init --demo`'s flows
    session.commit()
    text = tmp_path / "messaggio.md"
    text.write_text(TEXT, encoding="utf-8")
    return text


def test_profile_send_and_status_print_ios_answers_in_plain_words(demo: Path) -> None:
    profile = run("io", "profile", "aaaaaa00a00a000a", "--service", TARI)
    assert profile.output == (
        "AAAAAA00A00A000A: ha l'app IO e accetta i messaggi del servizio «Tributi - TARI» "
        "(lingue: it_IT).\n"
    )
    sent = run(
        "io", "send", "--service", TARI, "--fiscal-code", "AAAAAA00A00A000A",
        "--subject", "Promemoria TARI 2026", "--text-file", str(demo),
        "--amount", "120,00", "--notice-number", "012345678901234567", "--due-date", "31/12/2026",
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    message_id = re.search(r"ID messaggio (\w{26})", sent.output)
    assert message_id is not None
    sim = in_process_simulator()
    stored = sim.record.messages[message_id[1]]
    assert stored.content["due_date"] == "2026-12-31T22:59:59.000Z"  # end of the day in Rome
    assert stored.content["payment_data"]["amount"] == 12000
    status = run("io", "status", "AAAAAA00A00A000A", message_id[1], "--service", TARI)
    assert status.output == (
        f"Messaggio {message_id[1]}: accettato, in attesa di elaborazione (ACCEPTED).\n"
        "Notifica e-mail: non comunicata da IO.\n"
    )


REFUSALS = [
    (
        ["io", "profile", "RSSMRA80A01H501U", "--service", "Anagrafe - Carta d'identità"],
        "Errore: La chiave del servizio è in modalità limitata e può scrivere solo ai destinatari "
        "autorizzati: chiedi a PagoPA l'abilitazione all'invio massivo.\n",
    ),
    (
        ["io", "profile", "AAAAAA00A00A000A", "--service", "Nessuno"],
        "Errore: Nessun servizio «Nessuno».\n",
    ),
]  # fmt: skip
BAD_INPUT = [
    (
        ["--subject", "Promemoria TARI", "--amount", "100"],
        "Errore: Numero avviso: Per un avviso di pagamento indica anche il numero avviso.\n",
    ),
    (
        ["--subject", "Promemoria TARI", "--due-date", "31/13/2026"],
        "Errore: Scadenza: Data di scadenza non valida: scrivila come 31/12/2026 oppure 31/12/2026"
        " 18:00 (ora italiana).\n",
    ),
    (
        ["--subject", "Avviso"],  # IO would refuse it: it must never get there
        "Errore: Oggetto: L'oggetto è troppo corto: ha 6 caratteri, ne servono almeno 10.\n",
    ),
    (
        ["--subject", "Buono mensa di dicembre", "--amount", "500,01", "--notice-number",
         "012345678901234567", "--service", "Servizi scolastici - Mensa"],
        "Errore: Importo: L'importo supera il massimo consentito per il servizio (€ 500,00).\n",
    ),
]  # fmt: skip


def test_a_refusal_is_one_italian_line_and_exit_status_1(demo: Path) -> None:
    for command, expected in REFUSALS:
        result = CliRunner().invoke(cli, command)
        assert (result.exit_code, result.output) == (1, expected), command


def test_bad_input_reaches_no_one_and_exits_2(demo: Path) -> None:
    sim = in_process_simulator()
    before = len(sim.record.requests)
    for options, expected in BAD_INPUT:
        command = ["io", "send", "--service", TARI, "--fiscal-code", "AAAAAA00A00A000A"]
        result = CliRunner().invoke(cli, [*command, *options, "--text-file", str(demo)])
        assert (result.exit_code, result.output) == (2, expected + "Nessun messaggio inviato.\n")
    assert len(sim.record.requests) == before


def test_check_reports_a_valid_and_a_limited_key(demo: Path) -> None:
    assert run("io", "check", "--service", TARI).output == (
        "Chiave valida: IO ha risposto e il servizio può scrivere a tutti i cittadini.\n"
    )
    limited = run("io", "check", "--service", "Anagrafe - Carta d'identità")
    assert limited.output.startswith("Chiave valida, ma in modalità limitata")


MENSA = "Servizi scolastici - Mensa"
VIEWER_REFUSED = "Il tuo profilo è di sola consultazione: non puoi verificare i destinatari."
MENSA_OFF = f"Il servizio «{MENSA}» è disattivato: riattivalo per usarlo."
# (who, command, exit status, output): a profile check has a send's rule, the web's; a
# status read and a key check read only.
CF = "AAAAAA00A00A000A"
RULES = [
    ("lbianchi", ["io", "profile", CF, "--service", TARI], 1, f"Errore: {VIEWER_REFUSED}\n"),
    ("mrossi", ["io", "profile", CF, "--service", MENSA], 1, f"Errore: {MENSA_OFF}\n"),
    ("lbianchi", ["io", "check", "--service", TARI], 0, "Chiave valida: IO ha risposto"),
    ("mrossi", ["io", "check", "--service", MENSA], 0, "Chiave valida: IO ha risposto"),
    ("lbianchi", ["io", "status", CF, "{message}", "--service", TARI], 0, "Messaggio "),
]


@pytest.mark.parametrize(("who", "command", "status", "output"), RULES)
def test_a_profile_check_needs_send_rights_on_an_active_service_a_status_read_only_reading(
    demo: Path,
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    who: str,
    command: list[str],
    status: int,
    output: str,
) -> None:
    sent = run("io", "send", "--service", TARI, "--fiscal-code", "AAAAAA00A00A000A",
               "--subject", "Promemoria TARI 2026", "--text-file", str(demo))  # fmt: skip
    message = re.search(r"ID messaggio (\w{26})", sent.output)
    assert message is not None
    with sessions.begin() as session:
        session.execute(update(Service).where(Service.name == MENSA).values(active=False))
    command = [part.format(message=message[1]) for part in command]
    result = CliRunner().invoke(cli, ["--as", who, *command])
    assert (result.exit_code, result.output[: len(output)]) == (status, output)


@pytest.mark.parametrize(
    ("who", "service", "refusal"),
    [("lbianchi", TARI, VIEWER_REFUSED), ("mrossi", MENSA, MENSA_OFF)],
)
def test_verifica_destinatario_refuses_as_appio_io_profile(
    demo: Path,
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    who: str,
    service: str,
    refusal: str,
) -> None:
    with sessions.begin() as session:
        session.execute(update(Service).where(Service.name == MENSA).values(active=False))
        actor = Actor.of(get_operator(session, who))
        service_id = session.scalar(select(Service.id).where(Service.name == service))
    assert service_id is not None
    with pytest.raises(AppError) as refused:
        check_recipient(sessions, actor, service_id, "AAAAAA00A00A000A", keybox, "simulator")
    assert refused.value.message == refusal


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_served_simulator_takes_a_real_send_from_another_process(demo: Path) -> None:
    port = free_port()
    appio = [sys.executable, "-c", "from appio_core.cli import main; main()"]
    server = subprocess.Popen(
        [*appio, "simulator", "--port", str(port), "--no-rate-limit"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60  # a guard while it starts, not a measure of time
        while True:
            try:
                urllib.request.urlopen(f"{base}/__simulator/health")
                break
            except OSError:
                assert time.monotonic() < deadline, "the simulator did not start in 60 s"
                time.sleep(0.1)
        env = {**os.environ, "APPIO_IO_BASE_URL": f"{base}/api/v1"}
        sent = subprocess.run(
            [*appio, "io", "send", "--service", TARI, "--fiscal-code", "AAAAAA00A00A000A",
             "--subject", "Promemoria TARI 2026", "--text-file", str(demo)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        record = json.load(urllib.request.urlopen(f"{base}/__simulator/record"))
    finally:
        server.terminate()
        server.wait()
    assert [m["fiscal_code"] for m in record["messages"]] == ["AAAAAA00A00A000A"]
    assert record["messages"][0]["id"] in sent.stdout


@pytest.fixture
def faults() -> Iterator[Callable[[Faults], None]]:
    simulator = in_process_simulator()
    before = simulator.faults
    yield simulator.set_faults
    simulator.set_faults(before)


def _io_send(text: Path, *extra: str) -> Result:
    return CliRunner().invoke(cli, [
        "io", "send", "--service", TARI, "--fiscal-code", "AAAAAA00A00A000A",
        "--subject", "Promemoria TARI 2026", "--text-file", str(text), *extra,
    ])  # fmt: skip


# What IO does with the send, what `appio io send` exits with, and the start of what it says.
IO_SEND_FAULTS = [
    (Faults(error_503_rate=1.0), 3, "errore. IO non è disponibile in questo momento"),
    (Faults(error_500_rate=1.0), 4, "esito incerto. Non è possibile sapere se IO ha ricevuto"),
    (Faults(drop_rate=1.0), 4, "esito incerto. Non è possibile sapere se IO ha ricevuto"),
]


@pytest.mark.parametrize(
    ("fault", "status", "said"), IO_SEND_FAULTS, ids=["503", "500", "connessione chiusa"]
)
def test_io_send_exits_3_when_io_did_not_take_it_and_4_when_it_may_have(
    demo: Path, faults: Callable[[Faults], None], fault: Faults, status: int, said: str
) -> None:
    faults(fault)
    result = _io_send(demo)
    assert result.exit_code == status, result.output
    assert result.output.startswith(f"Notifica n. 1: {said}")


def test_io_send_to_an_unreachable_io_exits_1(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPIO_IO_BASE_URL", f"http://127.0.0.1:{free_port()}/api/v1")
    result = _io_send(demo)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Notifica n. 1: errore. Impossibile raggiungere IO")


def test_io_send_takes_a_request_key_like_notification_send(demo: Path) -> None:
    first = _io_send(demo, "--request-key", "diagnostica-1")
    assert first.exit_code == 0, first.output
    requests = len(in_process_simulator().record.requests)
    again = _io_send(demo, "--request-key", "diagnostica-1")
    assert again.exit_code == 0
    assert again.output == (
        f"{first.output.splitlines()[0]}\n"
        "Richiesta già ricevuta con questa chiave: nessun nuovo invio.\n"
        f"{first.output.splitlines()[1]}\n"
    )
    assert len(in_process_simulator().record.requests) == requests
