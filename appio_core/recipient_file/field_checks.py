"""Row checks of the optional fields of a message: the pagoPA payment (amount, notice number,
whether it may be paid after the due date), the due date, and each row's send date.

Each column is checked on a thread of checks.check_rows' pool (pyarrow and numpy release the
GIL); the issues are worded here, only for the rows that have one.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from appio_core.content import amounts, due_dates, flags, notice_numbers, send_dates
from appio_core.recipient_file.columns import (
    AMOUNT,
    DUE_DATE,
    INVALID_AFTER_DUE_DATE,
    LABELS,
    NOTICE_NUMBER,
    SEND_AFTER,
    Layout,
)
from appio_core.recipient_file.issues import Checked, issue_frame, issues
from appio_core.recipient_file.options import FileOptions

PAYMENT_INCOMPLETE = "pagamento_incompleto"


@dataclass
class FieldJobs:
    amount: Future[amounts.AmountColumn] | None
    notice: Future[notice_numbers.NoticeColumn] | None
    due: Future[due_dates.DueDateColumn] | None
    flag: Future[flags.FlagColumn] | None
    send: Future[send_dates.SendDateColumn] | None


def submit(
    pool: ThreadPoolExecutor, layout: Layout, data: pd.DataFrame, options: FileOptions
) -> FieldJobs:
    fields = layout.fields

    def job(name: str, check: Callable[[pd.Series], Any]) -> Future[Any] | None:
        return pool.submit(check, data[fields[name]]) if name in fields else None

    return FieldJobs(
        amount=job(
            AMOUNT,
            lambda c: amounts.amount_column(c, options.max_payment_amount, layout.amount_in_cents),
        ),
        notice=job(NOTICE_NUMBER, notice_numbers.notice_column),
        due=job(DUE_DATE, lambda c: due_dates.due_date_column(c, options.now)),
        flag=job(INVALID_AFTER_DUE_DATE, flags.flag_column),
        send=job(SEND_AFTER, send_dates.send_date_column),
    )


def record(
    jobs: FieldJobs,
    layout: Layout,
    data: pd.DataFrame,
    rows: np.ndarray,
    options: FileOptions,
    checked: Checked,
) -> None:
    """The fields' results into `checked`, their issues among its errors and warnings."""
    fields = layout.fields

    def column(name: str) -> pd.Series:
        return data[fields[name]]

    def header(name: str) -> str:
        return layout.header(fields[name])

    amount = checked.amount = jobs.amount.result() if jobs.amount else None
    notice = checked.notice = jobs.notice.result() if jobs.notice else None
    due = checked.due = jobs.due.result() if jobs.due else None
    flag = checked.invalid_after = jobs.flag.result() if jobs.flag else None
    send = checked.send_after = jobs.send.result() if jobs.send else None
    if send is not None:
        describe = lambda c, _: send_dates.send_date_message(c)  # noqa: E731
        checked.errors.append(
            issues(rows, header(SEND_AFTER), column(SEND_AFTER), send.errors, describe)
        )
        if due is not None:
            checked.warnings.append(_sent_after_due(layout, rows, data, send, due))
    if amount is not None:
        describe = lambda c, _: amounts.amount_message(c, options.max_payment_amount)  # noqa: E731
        checked.errors.append(issues(rows, header(AMOUNT), column(AMOUNT), amount.errors, describe))
    if notice is not None:
        describe = lambda c, _: notice_numbers.notice_message(c)  # noqa: E731
        checked.errors.append(
            issues(rows, header(NOTICE_NUMBER), column(NOTICE_NUMBER), notice.errors, describe)
        )
    checked.errors.append(_payment_pairs(layout, rows, amount, notice))
    if due is not None:
        describe = lambda c, _: due_dates.due_date_message(c)  # noqa: E731
        for found, codes in ((checked.errors, due.errors), (checked.warnings, due.warnings)):
            found.append(issues(rows, header(DUE_DATE), column(DUE_DATE), codes, describe))
    if flag is not None:
        name = header(INVALID_AFTER_DUE_DATE)
        describe = lambda c, _: flags.flag_message(c, name)  # noqa: E731
        checked.errors.append(
            issues(rows, name, column(INVALID_AFTER_DUE_DATE), flag.errors, describe)
        )


def _sent_after_due(
    layout: Layout,
    rows: np.ndarray,
    data: pd.DataFrame,
    send: send_dates.SendDateColumn,
    due: due_dates.DueDateColumn,
) -> pd.DataFrame:
    due_stamps = pd.to_datetime(due.values, utc=True, errors="coerce")
    late = (send.stamps > due_stamps).to_numpy(dtype=bool, na_value=False)
    codes = pd.Series(np.full(len(late), None, dtype=object))
    codes[late] = send_dates.SEND_AFTER_DUE_DATE
    position = layout.fields[SEND_AFTER]
    describe = lambda c, _: send_dates.send_date_message(c)  # noqa: E731
    return issues(rows, layout.header(position), data[position], codes, describe)


def _payment_pairs(
    layout: Layout,
    rows: np.ndarray,
    amount: amounts.AmountColumn | None,
    notice: notice_numbers.NoticeColumn | None,
) -> pd.DataFrame:
    """IO takes payment data only whole: an amount needs a notice number, and the reverse."""
    has_amount = amount.present if amount is not None else np.zeros(len(rows), dtype=bool)
    has_notice = notice.present if notice is not None else np.zeros(len(rows), dtype=bool)
    frames = []
    for lacking, present, missing_field in (
        (has_amount & ~has_notice, AMOUNT, NOTICE_NUMBER),
        (has_notice & ~has_amount, NOTICE_NUMBER, AMOUNT),
    ):
        where = np.flatnonzero(lacking)
        if not len(where):
            continue
        column = (
            layout.header(layout.fields[missing_field])
            if missing_field in layout.fields
            else LABELS[missing_field]
        )
        message = (
            f"C'è {_article(present)} ma manca {_article(missing_field)}:"
            " per un avviso di pagamento servono entrambi."
        )
        n = len(where)
        frames.append(
            issue_frame(rows[where], column, [""] * n, [PAYMENT_INCOMPLETE] * n, [message] * n)
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _article(field_name: str) -> str:
    return "l'importo" if field_name == AMOUNT else "il numero avviso"
