"""Excel exports: a flow's recipients with their outcomes and the file's own columns."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.flows.queries import get_flow
from appio_core.italian import ROME
from appio_core.storage.models import Notification

COLUMNS = (
    ("Riga del file", lambda r: r.row_number),
    ("Codice fiscale", lambda r: r.fiscal_code),
    ("Oggetto", lambda r: r.subject),
    ("Esito", lambda r: r.outcome),
    ("Dettaglio", lambda r: r.error_detail or ""),
    ("Codice HTTP", lambda r: r.http_status),
    ("ID messaggio IO", lambda r: r.io_message_id or ""),
    ("Stato IO", lambda r: r.io_status or ""),
    ("Stato e-mail", lambda r: r.email_status or ("sconosciuto" if r.io_message_id else "")),
    ("Lettura", lambda r: r.read_status or ""),
    ("Pagamento", lambda r: r.payment_status or ""),
    ("Importo (€)", lambda r: None if r.amount is None else r.amount / 100),
    ("Numero avviso", lambda r: r.notice_number or ""),
    ("Tentativi", lambda r: r.attempts),
    ("Inviato il", lambda r: _local(r.sent_at)),
)
BATCH = 5_000


def _local(moment: datetime | None) -> datetime | None:
    # Excel has no time zones: write the operators' local time, without the zone.
    return moment.astimezone(ROME).replace(tzinfo=None) if moment else None


def _recipients(session: Session, flow_id: int) -> Iterator[Notification]:
    """All rows in file order, a batch at a time (keyset paging: memory stays flat)."""
    last = 0
    while True:
        batch = list(
            session.scalars(
                select(Notification)
                .where(Notification.flow_id == flow_id, Notification.row_number > last)
                .order_by(Notification.row_number)
                .limit(BATCH)
            )
        )
        if not batch:
            return
        yield from batch
        last = batch[-1].row_number or 0
        session.expunge_all()


def _extra_headers(session: Session, flow_id: int) -> list[str]:
    first = session.scalar(
        select(Notification.extra).where(Notification.flow_id == flow_id).limit(1)
    )
    return list(json.loads(first or "{}"))


def flow_recipients_xlsx(session: Session, actor: Actor, flow_id: int) -> bytes:
    """The workbook of a flow's recipients (read permission on its service needed)."""
    view = get_flow(session, actor, flow_id)
    workbook = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = workbook.create_sheet("Destinatari")
    extra = _extra_headers(session, flow_id)
    bold = Font(bold=True)
    header = [WriteOnlyCell(sheet, value=name) for name, _ in COLUMNS]
    header += [WriteOnlyCell(sheet, value=name) for name in extra]
    for cell in header:
        cell.font = bold
    sheet.append(header)
    for recipient in _recipients(session, flow_id):
        values = json.loads(recipient.extra or "{}")
        sheet.append([get(recipient) for _, get in COLUMNS] + [values.get(k) for k in extra])
    info = workbook.create_sheet("Flusso")
    for label, value in (
        ("Flusso", f"{view.id} - {view.name}"),
        ("Servizio", view.service_name),
        ("Natura", view.natura),
        ("Stato", view.state.value),
        ("File", view.source_filename),
        ("Destinatari", view.recipients_total),
        *((f"Esito: {outcome.value}", n) for outcome, n in view.counts.items()),
    ):
        info.append([label, value])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
