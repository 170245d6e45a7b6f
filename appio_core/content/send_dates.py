"""When a row of a file may be sent: a send date per row (GovIO's `expedition_date`, «data
invio»), read like due dates (content.due_dates) but meaning a start, not an end."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from appio_core.content.cells import categorical
from appio_core.content.due_dates import moment_column

SEND_DATE_FORMAT = "data_invio_non_valida"
SEND_DATE_ERRORS = (SEND_DATE_FORMAT,)
# A warning: the notice would reach the citizen already expired.
SEND_AFTER_DUE_DATE = "invio_dopo_scadenza"
# A date without a time: the start of office hours, as «Programma l'invio» proposes, rather
# than the midnight that opens the day (a push notification at midnight helps nobody).
SEND_DAY_TIME = (9, 0, 0)


def send_date_message(code: str) -> str:
    if code == SEND_DATE_FORMAT:
        return (
            "Data di invio non valida: scrivila come 03/12/2026, 03/12/2026 09:30 oppure"
            " 2026-12-03T09:30:00 (ora italiana)."
        )
    if code == SEND_AFTER_DUE_DATE:
        return (
            "La data di invio è dopo la scadenza: il cittadino riceverebbe un messaggio già"
            " scaduto. Controlla le due date."
        )
    raise KeyError(code)


@dataclass(frozen=True)
class SendDateColumn:
    stamps: pd.Series  # datetime64[ns, UTC]; NaT where blank (send at once) or wrong
    errors: pd.Series  # categorical of SEND_DATE_ERRORS
    present: np.ndarray


def send_date_column(column: pd.Series) -> SendDateColumn:
    """Send dates in Italian or ISO forms, read in Europe/Rome; a date alone means 9:00."""
    moments = moment_column(column, SEND_DAY_TIME)
    error = np.where(moments.present & ~moments.valid, 0, -1).astype(np.int8)
    return SendDateColumn(
        stamps=moments.stamps,
        errors=categorical(error, SEND_DATE_ERRORS, column.index),
        present=moments.present,
    )
