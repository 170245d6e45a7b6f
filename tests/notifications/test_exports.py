"""The Excel exports: what openpyxl (as Excel would) reads back from our streaming writer."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.exports import xlsx
from appio_core.exports.workbooks import write_flow_recipients, write_flows, write_notifications
from appio_core.exports.xlsx import Column, Kind, XlsxWriter
from appio_core.flows import importing
from appio_core.flows.queries import FlowFilters
from appio_core.notifications.archive import NotificationFilters
from appio_core.notifications.single import NewNotification, SingleResult

from ..flows.conftest import TEXT as FLOW_TEXT
from .conftest import TARI

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR"]


def _read(buffer: io.BytesIO) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def test_values_keep_their_types_and_text_is_never_a_formula() -> None:
    buffer = io.BytesIO()
    when = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)  # 10:30 in Rome (summer time)
    columns = [Column("Testo"), Column("Numero", Kind.INTEGER), Column("€", Kind.EURO),
               Column("Quando", Kind.DATETIME)]  # fmt: skip
    with XlsxWriter(buffer, "Prova", columns) as writer:
        writer.add_rows([[*HOSTILE, "a & <b>", None], [1] * 8, [123456] * 8, [when] * 8])
    sheet = _read(buffer)["Prova"]
    cells = list(sheet.iter_rows(min_row=2, max_col=1))
    assert [c[0].value for c in cells] == [*HOSTILE, "a & <b>", None]
    assert all(c[0].data_type == "s" for c in cells[:7])
    assert all(c[0].quotePrefix for c in cells[:6])  # Excel keeps them text on edit
    assert sheet["C2"].value == 1234.56 and sheet["C2"].number_format == '"€ "#,##0.00'
    assert sheet["D2"].value == datetime(2026, 7, 1, 10, 30)
    assert sheet["D2"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D9"
    assert sheet["A1"].font.b


def test_rows_past_excels_limit_go_on_in_a_second_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_DATA_ROWS", 4)
    buffer = io.BytesIO()
    with XlsxWriter(buffer, "Notifiche", [Column("N.", Kind.INTEGER)]) as writer:
        writer.add_rows([list(range(3))])
        writer.add_rows([list(range(3, 10))])
    book = _read(buffer)
    assert book.sheetnames == ["Notifiche", "Notifiche 2", "Notifiche 3"]
    values = [[c for (c,) in book[name].iter_rows(values_only=True)] for name in book.sheetnames]
    assert values == [["N.", 0, 1, 2, 3], ["N.", 4, 5, 6, 7], ["N.", 8, 9]]


def test_the_notifications_export_has_every_row_of_the_filter_in_italian(
    send: Callable[..., SingleResult],
    operator: Actor,
    message: NewNotification,
    session: Session,
) -> None:
    for n in range(3):
        send(operator, message, subject=f"Promemoria numero {n}")
    buffer = io.BytesIO()
    filters = NotificationFilters(subject_contains="numero")
    assert write_notifications(session, operator, filters, buffer) == 3
    book = _read(buffer)
    rows = list(book["Notifiche"].values)
    header = rows[0]
    assert len(header) == len(set(header))
    column = {name: i for i, name in enumerate(header)}
    assert [r[column["Oggetto"]] for r in rows[1:]] == [
        "Promemoria numero 2",
        "Promemoria numero 1",
        "Promemoria numero 0",
    ]
    assert {r[column["Esito"]] for r in rows[1:]} == {"accettato"}
    assert {r[column["Stato Mail"]] for r in rows[1:]} == {"Non comunicato da IO"}
    assert {r[column["Flusso"]] for r in rows[1:]} == {"Notifica singola"}
    assert isinstance(rows[1][column["Inviata il"]], datetime)
    assert list(book["Filtri"].values)[1] == ("Filtri", "oggetto contiene: numero")


def test_a_flows_recipients_keep_the_files_own_columns_apart_from_ours(
    services: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    source = b"codice fiscale;nome;Esito;note\nAAAAAA00A00A000A;Anna;pagato;=cmd|' /C calc'!A0\n"
    with sessions.begin() as session:
        flow = importing.import_flow(
            session,
            Actor.system(),
            service_id=services[TARI.name],
            name="Prova",
            natura="Comunicazione",
            source=source,
            filename="prova.csv",
            templates=importing.Templates("Avviso per {{nome}}", FLOW_TEXT),
        )
        buffer = io.BytesIO()
        assert write_flow_recipients(session, Actor.system(), flow.id, buffer) == 1
        flows_buffer = io.BytesIO()
        assert write_flows(session, Actor.system(), FlowFilters(), flows_buffer) == 1
    book = _read(buffer)
    header, row = list(book["Destinatari"].values)
    assert header[-3:] == ("nome", "Esito (dal file)", "note")
    assert len(header) == len(set(header))
    assert row[header.index("Esito")] == "da inviare"
    assert row[-1] == "=cmd|' /C calc'!A0"
    assert book["Destinatari"].cell(2, len(header)).data_type == "s"
    flows = list(_read(flows_buffer)["Flussi"].values)
    assert flows[1][:2] == (flow.id, "Prova")
