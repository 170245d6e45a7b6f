"""Importing a recipient file: one pass, every value as checked, nothing from a bad file.

Runs on SQLite (executemany) and PostgreSQL (COPY) alike.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.flows import importing
from appio_core.recipient_file import processing, wire
from appio_core.recipient_file.options import FileOptions
from appio_core.storage.models import Flow, Notification, Service

from ..recipients.hostile_files.make_hostile import SMALL
from .conftest import TEXT, fiscal_codes, recipient_csv

HOSTILE = Path(__file__).resolve().parents[1] / "recipients" / "hostile_files"
TEMPLATES = importing.Templates(subject="Avviso per {{nome}}", text=TEXT)
SERVICE = "Tributi - TARI"


def _import(
    session: Session,
    actor: Actor,
    service_id: int,
    source: bytes | Path | io.BytesIO,
    templates: importing.Templates = TEMPLATES,
    natura: str = "Comunicazione",
) -> Flow:
    return importing.import_flow(
        session,
        actor,
        service_id=service_id,
        name="Avviso",
        natura=natura,
        source=source,
        filename="destinatari.csv",
        templates=templates,
    )


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _stored(session: Session, flow: Flow) -> list[Notification]:
    query = select(Notification).where(Notification.flow_id == flow.id)
    return list(session.scalars(query.order_by(Notification.row_number)))


def test_every_value_reaches_the_database_as_the_checks_left_it(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    a, b, c = fiscal_codes(3)
    # Quotes, backslashes, tabs, line breaks, commas, U+2028 and Markdown: COPY's CSV and
    # SQLite's parameters must both keep them, and the text escapes what is Markdown.
    odd = 'Via "Roma", 1\\2\tint.\u2028 3'
    lines = [
        "codice fiscale;nome;importo;numero avviso;scadenza;nota",
        f"{a.lower()};Mario;1.234,56;301000000000000001;31/12/2030 18:00;{odd}",
        f'{b};"Laura\nBianchi";;;;',
        f"{c};[Gigi](http://x.it/p.png);12,5;301000000000000002;31/12/2030;ok",
    ]
    content = ("\n".join(lines) + "\n").encode()
    flow = _import(session, operator, demo[SERVICE], content, natura="Avviso di pagamento")
    rows = _stored(session, flow)
    assert [(r.row_number, r.fiscal_code) for r in rows] == [(2, a), (3, b), (4, c)]
    assert [r.subject for r in rows] == [
        "Avviso per Mario",
        "Avviso per Laura\nBianchi",
        "Avviso per [Gigi](http://x.it/p.png)",  # the subject is plain text in IO
    ]
    assert rows[2].markdown.startswith("Gentile \\[Gigi\\](http://x.it/p.png), ")
    assert [(r.amount, r.notice_number, r.due_date) for r in rows] == [
        (123456, "301000000000000001", "2030-12-31T17:00:00.000Z"),
        (None, None, None),
        (1250, "301000000000000002", "2030-12-31T22:59:59.000Z"),
    ]
    assert json.loads(rows[0].extra)["nota"] == odd
    assert json.loads(rows[1].extra) == {
        "nome": "Laura\nBianchi",
        "importo": "",
        "numero avviso": "",
        "scadenza": "",
        "nota": "",
    }
    assert flow.recipients_total == 3


def test_a_path_a_stream_and_bytes_import_the_same_and_keep_the_file_s_checksum(
    session: Session, operator: Actor, demo: dict[str, int], tmp_path: Path
) -> None:
    content = recipient_csv(fiscal_codes(4))
    path = tmp_path / "destinatari.csv"
    path.write_bytes(content)
    flows = [
        _import(session, operator, demo[SERVICE], source)
        for source in (content, path, io.BytesIO(content))
    ]
    digest = hashlib.sha256(content).hexdigest()
    assert [f.source_checksum for f in flows] == [digest] * 3
    stored = [[(r.fiscal_code, r.markdown) for r in _stored(session, f)] for f in flows]
    assert stored[0] == stored[1] == stored[2]
    assert len(stored[0]) == 4


@pytest.mark.parametrize("name", sorted(SMALL))
def test_a_hostile_file_imports_nothing_and_says_why_in_italian(
    session: Session, operator: Actor, demo: dict[str, int], name: str
) -> None:
    with pytest.raises(importing.FlowFileRefused) as refused:
        _import(session, operator, demo[SERVICE], HOSTILE / name)
    [error] = refused.value.report.file_errors
    expected = json.loads((HOSTILE / "expected" / f"{Path(name).stem}.json").read_text())
    assert error.message == expected["file_errors"][0]["message"]
    assert _count(session, Flow) == 0
    assert _count(session, Notification) == 0


def test_a_constant_subject_too_short_imports_nothing_and_is_said_once(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    templates = importing.Templates(subject="Avviso", text=TEXT)
    with pytest.raises(importing.FlowFileRefused) as refused:
        _import(session, operator, demo[SERVICE], recipient_csv(fiscal_codes(5)), templates)
    report = refused.value.report
    assert [e.code for e in report.template_errors] == ["oggetto_corto"]
    assert len(report.error_frame) == 0
    assert refused.value.message.count("L'oggetto è troppo corto") == 1
    assert _count(session, Notification) == 0


def test_the_file_is_read_and_checked_once_for_the_report_and_the_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []
    read_sheet = processing.read_sheet

    def counted(*args: object, **kwargs: object) -> object:
        reads.append("read")
        return read_sheet(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(processing, "read_sheet", counted)
    frames: list[tuple[bytes, bytes]] = []
    content = recipient_csv(fiscal_codes(7))
    options = FileOptions(subject_template="Avviso per {{nome}}", text_template=TEXT)
    request = processing.Request(content, "a.csv", options, deliver=True, chunk_rows=3)
    processing.run(request, lambda kind, body: frames.append((kind, body)))
    assert reads == ["read"]
    assert [kind for kind, _ in frames] == [wire.REPORT, wire.CHUNK, wire.CHUNK, wire.CHUNK]
    assert wire.decode_report(frames[0][1]).summary() == "7 righe, tutte corrette."
    assert [wire.decode_table(body).num_rows for _, body in frames[1:]] == [3, 3, 1]


def test_an_import_refused_carries_the_report_appio_flow_validate_gives(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    from appio_core.recipient_file.validation import validate_file

    content = recipient_csv(fiscal_codes(6)) + b"RSSMRA80A01H501X;Sbagliato\n;Vuoto\n"
    with pytest.raises(importing.FlowFileRefused) as refused:
        _import(session, operator, demo[SERVICE], content)
    service = session.get(Service, demo[SERVICE])
    assert service is not None
    options = FileOptions(
        subject_template=TEMPLATES.subject,
        text_template=TEMPLATES.text,
        max_payment_amount=service.max_payment_amount,
    )
    expected = validate_file(content, "destinatari.csv", options).to_dict()
    assert refused.value.report.to_dict() == expected
    assert refused.value.report.error_rows == 2


def test_a_rows_preview_is_its_message_as_io_will_show_it(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    from appio_core.flows.importing import Templates, preview_flow_row

    codes = fiscal_codes(3)
    content = (
        "codice_fiscale;nome;importo\n"
        + "".join(f"{cf};*Cittadino {i}*;12,50\n" for i, cf in enumerate(codes))
    ).encode()
    templates = Templates("Avviso per {{nome}}", TEXT)
    preview = preview_flow_row(
        session, operator, demo["Tributi - TARI"], content, "f.csv", templates, 3
    )
    assert preview.error is None
    assert preview.subject == "Avviso per *Cittadino 1*"
    # In the Markdown text a value stays literal: its asterisks are escaped.
    assert preview.markdown.startswith(r"Gentile \*Cittadino 1\*, ti ricordiamo")
    assert preview.fields == {"codice fiscale": codes[1], "importo": "12,50"}
    assert (preview.first, preview.last) == (2, 4)
    missing = preview_flow_row(
        session, operator, demo["Tributi - TARI"], content, "f.csv", templates, 9
    )
    assert missing.error == "La riga 9 non è tra i destinatari del file: scegli una riga da 2 a 4."
    unknown = preview_flow_row(
        session, operator, demo["Tributi - TARI"], content, "f.csv", Templates("Per {{x}}"), 2
    )
    assert unknown.error is not None and "non ha una colonna «x»" in unknown.error


def _amount_file(codes: list[str]) -> bytes:
    lines = ["codice_fiscale;nome;importo"] + [
        f"{cf};Cittadino {i};{i + 1}0,50" for i, cf in enumerate(codes)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_on_a_comunicazione_an_importo_column_is_text_for_the_templates(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    text = TEXT + " Importo dovuto: {{importo}} euro."
    templates = importing.Templates("Avviso per {{nome}}", text)
    flow = _import(session, operator, demo[SERVICE], _amount_file(fiscal_codes(2)), templates)
    first = _stored(session, flow)[0]
    assert first.amount is None and first.notice_number is None  # not a pagoPA notice
    assert first.markdown.endswith("Importo dovuto: 10,50 euro.")
    report = importing.check_flow_file(
        session, operator, demo[SERVICE], _amount_file(fiscal_codes(2)), "f.csv", templates,
        natura="Comunicazione",
    )  # fmt: skip
    assert ("importo", "text_only") in report.columns


def test_the_operator_may_say_what_a_column_means(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    content = _amount_file(fiscal_codes(2))
    as_payment = importing.Templates("Avviso per {{nome}}", TEXT, columns=(("Importo", "amount"),))
    report = importing.check_flow_file(
        session, operator, demo[SERVICE], content, "f.csv", as_payment, natura="Comunicazione"
    )
    # Now a payment: it needs its notice number.
    assert report.summary() == "2 righe: 0 corrette, 2 con errori (2 pagamenti incompleti)."
    text = importing.Templates("Avviso per {{nome}}", TEXT, columns=(("importo", "text_only"),))
    report = importing.check_flow_file(
        session, operator, demo[SERVICE], content, "f.csv", text, natura="Avviso di pagamento"
    )
    assert not report.has_errors
    wrong = importing.Templates("Avviso per {{nome}}", TEXT, columns=(("cognome", "amount"),))
    report = importing.check_flow_file(session, operator, demo[SERVICE], content, "f.csv", wrong)
    assert report.file_errors[0].message.startswith(
        "Hai indicato il significato della colonna «cognome», ma il file non ha quella colonna"
    )
    both = importing.Templates("Avviso per {{nome}}", TEXT, columns=(("nome", "fiscal_code"),))
    report = importing.check_flow_file(session, operator, demo[SERVICE], content, "f.csv", both)
    assert "indicano la stessa cosa" in report.file_errors[0].message
