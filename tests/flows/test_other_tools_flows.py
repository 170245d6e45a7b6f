"""Files of other IO tools as flows: imported as they are (PagoPA's old developer portal,
GovIO, a management program's export with a title), each row sent no earlier than its own
send date, IO's invalid_after_due_date carried to IO, and a payment flow without payment
columns created only when confirmed. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.cli import cli
from appio_core.domain import FlowState, Outcome
from appio_core.flows import actions, importing, queries
from appio_core.io.simulator.app import SimulatorApp
from appio_core.notifications.detail import get_detail
from appio_core.sending import store
from appio_core.sending.dispatcher import Dispatcher
from appio_core.storage.models import Flow, Notification

from .conftest import TEXT, expected_outcomes, fiscal_codes

SERVICE = "Tributi - TARI"
PAYMENT = "Avviso di pagamento"
TEXT_OF_ROW = (
    "Gentile contribuente, è disponibile l'avviso di pagamento della TARI 2026, prima rata."
    " Può pagarlo con pagoPA direttamente dall'app IO oppure presso gli sportelli abilitati."
)
FUTURE = "2099-12-03T10:15:30"  # Italian time: 09:15:30 UTC
PAST = "2020-01-01T10:00:00"


def portal_csv(codes: list[str]) -> bytes:
    """PagoPA's own import: IO's field names, each row's own subject and text, cents."""
    lines = ["name,surname,fiscal_code,subject,markdown,amount,notice_number,due_date"]
    lines += [
        f'Nome,Cognome {i},{cf},TARI 2026: avviso di pagamento,"{TEXT_OF_ROW}",{12050 + i},'
        f"30100000000000000{i},2030-12-31T22:59:59.000Z"
        for i, cf in enumerate(codes)
    ]
    return ("\n".join(lines) + "\n").encode()


def govio_csv(rows: list[tuple[str, str, str]]) -> bytes:
    """GovIO's: taxcode, expedition_date, due_date, notice_number, amount (cents), its own
    `invalid_afted_due_date`, then the template's placeholder `full_name`."""
    lines = [
        "taxcode,expedition_date,due_date,notice_number,amount,invalid_afted_due_date,full_name"
    ]
    lines += [
        f"{cf},{sent},2099-12-31T00:00:00,30100000000000000{i},{9900 + i},{flag},Persona {i}"
        for i, (cf, sent, flag) in enumerate(rows)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def titled_csv(codes: list[str]) -> bytes:
    """A management program's export: a title and an empty row above the header."""
    lines = ["COMUNE DI FORLÌ - AVVISI TARI 2026;;;;", ";;;;"]
    lines += ["CODICE FISCALE;NOMINATIVO;IMPORTO DOVUTO;N. AVVISO;DATA SCADENZA"]
    lines += [
        f"{cf};Persona {i};€ 120,5{i};30100000000000000{i};31/12/2030" for i, cf in enumerate(codes)
    ]
    return "\r\n".join(lines).encode("cp1252") + b"\r\n"


def titled_xlsx(codes: list[str], path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"] = "Comune di Forlì - Avvisi TARI 2026"
    sheet.append([])
    sheet.append(["Codice fiscale", "Nominativo", "Importo dovuto", "Codice avviso", "Scadenza"])
    for i, cf in enumerate(codes):
        sheet.append(
            [cf, f"Persona {i}", 120.5 + i, f"30100000000000000{i}", datetime(2030, 12, 31)]
        )
    workbook.save(path)
    return path


TEMPLATES_GOVIO = (
    "Avviso di pagamento per {{full_name}}",
    TEXT.replace("{{nome}}", "{{full_name}}"),
)
TEMPLATES_TITLED = (
    "TARI 2026: avviso per {{nominativo}}",
    TEXT.replace("{{nome}}", "{{nominativo}}"),
)


def _import(
    session: Session,
    actor: Actor,
    service_id: int,
    source: bytes | Path,
    filename: str,
    templates: tuple[str, str] | tuple[None, None] = (None, None),
    natura: str = PAYMENT,
    force: bool = False,
) -> Flow:
    return importing.import_flow(
        session,
        actor,
        service_id=service_id,
        name="Da un altro strumento",
        natura=natura,
        source=source,
        filename=filename,
        templates=importing.Templates(*templates),
        force=force,
    )


def _rows(session: Session, flow_id: int) -> list[Notification]:
    query = select(Notification).where(Notification.flow_id == flow_id)
    return list(session.scalars(query.order_by(Notification.row_number)))


def test_pagopa_s_portal_file_imports_each_row_s_own_message_and_amount_in_cents(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    codes = fiscal_codes(2, seed=161)
    flow = _import(session, operator, demo[SERVICE], portal_csv(codes), "portale.csv")
    rows = _rows(session, flow.id)
    assert [(r.fiscal_code, r.subject, r.markdown) for r in rows] == [
        (cf, "TARI 2026: avviso di pagamento", TEXT_OF_ROW) for cf in codes
    ]
    assert [(r.amount, r.notice_number, r.due_date) for r in rows] == [
        (12050, "301000000000000000", "2030-12-31T22:59:59.000Z"),
        (12051, "301000000000000001", "2030-12-31T22:59:59.000Z"),
    ]
    assert (flow.subject_template, flow.text_template) == (None, None)


def test_govio_s_file_imports_payment_send_dates_and_invalid_after_due_date(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    a, b = fiscal_codes(2, seed=162)
    content = govio_csv([(a, FUTURE, "true"), (b, "", "false")])
    flow = _import(session, operator, demo[SERVICE], content, "govio.csv", TEMPLATES_GOVIO)
    rows = _rows(session, flow.id)
    assert [(r.amount, r.notice_number, r.due_date) for r in rows] == [
        (9900, "301000000000000000", "2099-12-30T23:00:00.000Z"),
        (9901, "301000000000000001", "2099-12-30T23:00:00.000Z"),
    ]
    assert [r.invalid_after_due_date for r in rows] == [True, False]
    assert [r.send_after for r in rows] == [datetime(2099, 12, 3, 9, 15, 30, tzinfo=UTC), None]
    assert rows[0].subject == "Avviso di pagamento per Persona 0"


@pytest.mark.parametrize("excel", [False, True], ids=["csv", "xlsx"])
def test_a_management_program_s_file_with_a_title_imports_from_its_header(
    session: Session, operator: Actor, demo: dict[str, int], tmp_path: Path, excel: bool
) -> None:
    codes = fiscal_codes(2, seed=163)
    source: bytes | Path = (
        titled_xlsx(codes, tmp_path / "avvisi.xlsx") if excel else titled_csv(codes)
    )
    name = "avvisi.xlsx" if excel else "avvisi.csv"
    flow = _import(session, operator, demo[SERVICE], source, name, TEMPLATES_TITLED)
    rows = _rows(session, flow.id)
    assert [(r.row_number, r.fiscal_code) for r in rows] == [(4, codes[0]), (5, codes[1])]
    assert [(r.amount, r.notice_number) for r in rows] == [
        (12050, "301000000000000000"),
        (12150 if excel else 12051, "301000000000000001"),  # 121.5 in Excel, "€ 120,51"
    ]


def test_a_payment_flow_without_payment_columns_is_created_only_when_confirmed(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    codes = fiscal_codes(2, seed=164)
    content = ("codice fiscale;nome\n" + "".join(f"{cf};Nome\n" for cf in codes)).encode()
    templates = ("Avviso per {{nome}}", TEXT)
    with pytest.raises(importing.PaymentColumnsMissing) as asked:
        _import(session, operator, demo[SERVICE], content, "a.csv", templates)
    assert asked.value.message.startswith(
        "Il flusso è un pagamento, ma il file non ha le colonne del pagamento pagoPA"
    )
    assert session.scalar(select(Flow.id)) is None
    flow = _import(session, operator, demo[SERVICE], content, "a.csv", templates, force=True)
    assert flow.recipients_total == 2
    # A Comunicazione asks nothing.
    _import(session, operator, demo[SERVICE], content, "a.csv", templates, "Comunicazione")


def _sending(session: Session, actor: Actor, flow: Flow) -> int:
    actions.activate(session, actor, flow.id)
    actions.send(session, actor, flow.id)
    session.commit()
    return flow.id


def test_the_claim_leaves_a_row_until_its_send_date_and_then_takes_it(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    a, b = fiscal_codes(2, seed=165)
    content = govio_csv([(a, FUTURE, "false"), (b, PAST, "false")])
    flow_id = _sending(
        session,
        operator,
        _import(session, operator, demo[SERVICE], content, "govio.csv", TEMPLATES_GOVIO),
    )
    now = datetime.now(UTC)
    claimed = store.claim(session, flow_id, "worker-a", now, 10)
    assert [r.fiscal_code for r in claimed] == [b]  # its date has passed: at once
    later = datetime(2099, 12, 3, 9, 15, 31, tzinfo=UTC)
    assert [r.fiscal_code for r in store.claim(session, flow_id, "worker-a", later, 10)] == [a]


async def test_rows_waiting_for_their_send_date_keep_the_flow_in_invio_until_sent(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    # Citizens on IO who accept the service, so that each message reaches the simulator.
    codes = [
        cf
        for cf, outcome in expected_outcomes(simulator, fiscal_codes(40, seed=166)).items()
        if outcome == Outcome.ACCEPTED
    ][:3]
    rows = [
        (cf, FUTURE if i == 0 else PAST, "true" if i == 1 else "false")
        for i, cf in enumerate(codes)
    ]
    content = govio_csv(rows)
    flow = _import(session, operator, demo[SERVICE], content, "govio.csv", TEMPLATES_GOVIO)
    flow_id = _sending(session, operator, flow)
    await make_dispatcher(status_first_check=3600.0).run(once=True)
    session.expire_all()
    waiting = queries.list_recipients(session, operator, flow_id, outcome=Outcome.PENDING)
    assert [r.fiscal_code for r in waiting] == [codes[0]]
    assert queries.get_flow(session, operator, flow_id).state == FlowState.SENDING
    scheduled = queries.scheduled_rows(session, flow_id)
    assert scheduled.describe() == (
        "1 riga attende la propria data di invio, indicata nel file: partiranno il"
        " 03/12/2099 10:15."
    )
    sent = {m.fiscal_code: m.content for m in simulator.record.messages.values()}
    assert codes[0] not in sent
    assert sent[codes[1]]["payment_data"] == {
        "amount": 9901,
        "notice_number": "301000000000000001",
        "invalid_after_due_date": True,
    }
    assert sent[codes[2]]["payment_data"]["invalid_after_due_date"] is False
    detail = get_detail(session, operator, waiting[0].id)
    assert detail.send_after == datetime(2099, 12, 3, 9, 15, 30, tzinfo=UTC)

    # Its time comes: the dispatcher sends it, and only then is the flow finished.
    session.execute(
        update(Notification)
        .where(Notification.id == waiting[0].id)
        .values(send_after=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()
    await make_dispatcher(status_first_check=3600.0).run(once=True)
    session.expire_all()
    assert queries.list_recipients(session, operator, flow_id, outcome=Outcome.PENDING) == []
    assert queries.get_flow(session, operator, flow_id).state in (
        FlowState.SENT,
        FlowState.INCOMPLETE,
    )
    assert queries.scheduled_rows(session, flow_id).describe() == ""


def test_refresh_state_does_not_finish_a_flow_whose_rows_wait(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    a, b = fiscal_codes(2, seed=167)
    content = govio_csv([(a, FUTURE, "false"), (b, PAST, "false")])
    flow_id = _sending(
        session,
        operator,
        _import(session, operator, demo[SERVICE], content, "govio.csv", TEMPLATES_GOVIO),
    )
    session.execute(
        update(Notification)
        .where(Notification.flow_id == flow_id, Notification.fiscal_code == b)
        .values(outcome=Outcome.ACCEPTED, io_message_id="01ABC")
    )
    flow = session.get(Flow, flow_id)
    assert flow is not None
    actions.refresh_state(session, flow)
    assert flow.state == FlowState.SENDING and flow.finished_at is None


# --- the CLI, as a script would use it ------------------------------------------------------


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def shapes(app_env: str, tmp_path: Path, demo: dict[str, int]) -> dict[str, tuple[Path, list[str]]]:
    """Each shape's file, with the template options it needs."""
    made: dict[str, tuple[Path, list[str]]] = {}
    for name, content, templates in (
        ("portale.csv", portal_csv(fiscal_codes(2, seed=171)), None),
        (
            "govio.csv",
            govio_csv([(cf, FUTURE, "true") for cf in fiscal_codes(2, seed=172)]),
            TEMPLATES_GOVIO,
        ),
        ("titolo.csv", titled_csv(fiscal_codes(2, seed=173)), TEMPLATES_TITLED),
    ):
        path = tmp_path / name
        path.write_bytes(content)
        made[name] = (path, _template_options(templates))
    xlsx = titled_xlsx(fiscal_codes(2, seed=174), tmp_path / "titolo.xlsx")
    made["titolo.xlsx"] = (xlsx, _template_options(TEMPLATES_TITLED))
    return made


def _template_options(templates: tuple[str, str] | None) -> list[str]:
    if templates is None:
        return []
    return ["--subject-template", templates[0], "--text-template", templates[1]]


# (file, a line the text report must have)
CLI_SHAPES = (
    ("portale.csv", "- amount: importo pagoPA in centesimi, come in IO (12050 = € 120,50)"),
    ("govio.csv", "- expedition_date: data di invio: la riga non parte prima di quel momento,"),
    ("titolo.csv", "L'intestazione è alla riga 3: le righe sopra (un titolo, righe vuote) non"),
    ("titolo.xlsx", "- Importo dovuto: importo pagoPA in euro, come 1.234,56"),
)


@pytest.mark.parametrize(("name", "line"), CLI_SHAPES, ids=[s[0] for s in CLI_SHAPES])
def test_appio_flow_validate_and_import_take_each_tool_s_file_as_it_is(
    shapes: dict[str, tuple[Path, list[str]]],
    sessions: sessionmaker[Session],
    name: str,
    line: str,
) -> None:
    path, templates = shapes[name]
    validated = run("flow", "validate", str(path), "--natura", PAYMENT, *templates)
    assert validated.exit_code == 0, validated.output
    assert validated.output.startswith("2 righe, tutte corrette.")
    assert any(out.startswith(line) for out in validated.output.splitlines()), validated.output
    as_json = json.loads(
        run(
            "flow", "validate", str(path), "--natura", PAYMENT, *templates, "--format", "json"
        ).output
    )
    assert as_json["header_row"] == (3 if name.startswith("titolo") else 1)
    imported = run(
        "flow", "import", str(path), "--service", SERVICE, "--name", name,
        "--natura", PAYMENT, *templates,
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    with sessions() as session:
        rows = _rows(session, int(imported.output.strip()))
        assert len(rows) == 2 and all(r.amount and r.notice_number for r in rows)


def test_appio_flow_import_asks_for_force_on_a_payment_flow_without_payment_columns(
    app_env: str, tmp_path: Path, demo: dict[str, int]
) -> None:
    path = tmp_path / "senza-pagamento.csv"
    path.write_text("codice fiscale;nome\n" + "".join(f"{cf};Nome\n" for cf in fiscal_codes(2)))
    command = (
        "flow", "import", str(path), "--service", SERVICE, "--name", "Senza pagamento",
        "--natura", PAYMENT, "--subject-template", "Avviso per {{nome}}", "--text-template", TEXT,
    )  # fmt: skip
    refused = run(*command)
    assert refused.exit_code == 1
    assert refused.output.strip().endswith(
        "oppure conferma che il flusso va creato senza dati di pagamento. Usa --force per"
        " confermare."
    )
    validated = run("flow", "validate", str(path), "--natura", PAYMENT, *command[-4:])
    assert validated.exit_code == 0
    assert "Attenzione: Il flusso è un pagamento, ma il file non ha le colonne" in validated.output
    forced = run(*command, "--force")
    assert forced.exit_code == 0, forced.output
