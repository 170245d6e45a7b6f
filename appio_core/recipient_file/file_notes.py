"""What a report says about the whole file besides its errors: a warning when a payment flow
has no payment columns, and notes on where the header was found and when the rows go out."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from appio_core.content.send_dates import SendDateColumn
from appio_core.italian import local_time
from appio_core.recipient_file.columns import AMOUNT, NOTICE_NUMBER, SEND_AFTER, Layout
from appio_core.recipient_file.issues import Checked
from appio_core.recipient_file.options import FileOptions
from appio_core.recipient_file.reader import Sheet
from appio_core.recipient_file.report import FileError, italian_number

PAYMENT_COLUMNS_MISSING = "pagamento_senza_colonne"


def file_warnings(found: Layout, options: FileOptions) -> list[FileError]:
    if not options.payment_expected or AMOUNT in found.fields or NOTICE_NUMBER in found.fields:
        return []
    return [
        FileError(
            PAYMENT_COLUMNS_MISSING,
            "Il flusso è un pagamento, ma il file non ha le colonne del pagamento pagoPA"
            " (importo e numero avviso): i messaggi partirebbero senza un avviso da pagare."
            " Aggiungi le colonne al file (o indica quali sono, in «Significato delle"
            " colonne»), oppure conferma che il flusso va creato senza dati di pagamento.",
        )
    ]


def file_notes(
    sheet: Sheet, found: Layout | None, checked: Checked | None, options: FileOptions
) -> list[str]:
    notes = []
    if sheet.header_row > 1:
        notes.append(
            f"L'intestazione è alla riga {sheet.header_row}: le righe sopra (un titolo, righe"
            " vuote) non sono lette."
        )
    if found is not None and checked is not None and checked.send_after is not None:
        notes.append(_schedule(found, checked.send_after, options.now))
    return notes


def _schedule(found: Layout, send: SendDateColumn, now: dt.datetime | None) -> str:
    header = found.header(found.fields[SEND_AFTER])
    valid = send.stamps.dropna()
    blank = int(np.count_nonzero(~send.present))
    if valid.empty:
        return f"La colonna «{header}» è vuota: tutte le righe partono con il flusso."
    current = pd.Timestamp(now or dt.datetime.now(dt.UTC))
    current = current.tz_localize("UTC") if current.tzinfo is None else current
    passed = int(np.count_nonzero((valid <= current).to_numpy()))
    first, last = valid.min().to_pydatetime(), valid.max().to_pydatetime()
    when = (
        f"il {local_time(first)}"
        if first == last
        else f"dal {local_time(first)} al {local_time(last)}"
    )
    text = (
        f"Invio programmato riga per riga (colonna «{header}»): {_rows(len(valid))} {when}"
        " (ora italiana); ogni riga parte non prima della sua data, con il flusso in invio."
    )
    if passed:
        text += f" {_rows(passed).capitalize()} con la data già passata {_leave(passed)} subito."
    if blank:
        text += f" {_rows(blank).capitalize()} senza data {_leave(blank)} con il flusso."
    return text


def _rows(count: int) -> str:
    return "1 riga" if count == 1 else f"{italian_number(count)} righe"


def _leave(count: int) -> str:
    return "partirà" if count == 1 else "partiranno"
