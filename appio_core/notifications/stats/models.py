"""The summaries of the notifications kept for the «Cruscotto» (see the package's docstring).

Neither has a foreign key: a count is history, and stays whatever happens to the rows."""

from __future__ import annotations

from typing import cast

from sqlalchemy import BigInteger, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from appio_core.storage.models import Base

# On SQLite the rows are stored in their primary key's order (a period is one range of
# the file, not a lookup per row through an index): bench/RESULTS-cruscotto.md.
WITHOUT_ROWID = {"sqlite_with_rowid": False}

# The counters of a period, in the order of the figures on the page; each is a column of
# notification_counts. ADVANCED messages: `advanced` those IO accepted, `advanced_read` and
# `advanced_paid` of them read and paid, `advanced_payments` of them with a payment notice.
COUNTERS = (
    "sent",
    "accepted",
    "delivered",
    "not_on_io",
    "service_disabled",
    "errors",
    "uncertain",
    "advanced",
    "advanced_read",
    "advanced_paid",
    "advanced_payments",
)


class NotificationCount(Base):
    """Messages with a final outcome, per Italian day of their date (20261205), service and
    flow (0: «Nuovo»). A message's date is when IO accepted it, else when its outcome was
    decided."""

    __tablename__ = "notification_counts"
    __table_args__ = WITHOUT_ROWID

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    delivered: Mapped[int] = mapped_column(BigInteger, default=0)
    not_on_io: Mapped[int] = mapped_column(BigInteger, default=0)
    service_disabled: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(BigInteger, default=0)
    uncertain: Mapped[int] = mapped_column(BigInteger, default=0)
    advanced: Mapped[int] = mapped_column(BigInteger, default=0)
    advanced_read: Mapped[int] = mapped_column(BigInteger, default=0)
    advanced_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    advanced_payments: Mapped[int] = mapped_column(BigInteger, default=0)


class NotificationReach(Base):
    """Per month (Italian time, 202612), service (and 0: every service, so that a citizen of
    two services counts once) and citizen (his codice fiscale as the
    rows hold it: a pseudonym once they are purged), how many of his messages told us
    whether he is on IO (`known`) and how many found him there with the service allowed
    (`reachable`). A month's distinct citizens are its entries; an entry whose `known`
    falls to 0 is deleted."""

    __tablename__ = "notification_reach"
    __table_args__ = WITHOUT_ROWID

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen: Mapped[str] = mapped_column(String(16), primary_key=True)
    known: Mapped[int] = mapped_column(Integer, default=0)
    reachable: Mapped[int] = mapped_column(Integer, default=0)


class NotificationReachMonth(Base):
    """Per month and service (0: every service), the distinct citizens of
    notification_reach and how many of them are reachable: kept with its entries, so that
    a month's figure is one row, not a count of thousands."""

    __tablename__ = "notification_reach_months"
    __table_args__ = WITHOUT_ROWID

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizens: Mapped[int] = mapped_column(Integer, default=0)
    reachable: Mapped[int] = mapped_column(Integer, default=0)


NOTIFICATION_COUNTS = cast(Table, NotificationCount.__table__)
NOTIFICATION_REACH = cast(Table, NotificationReach.__table__)
NOTIFICATION_REACH_MONTHS = cast(Table, NotificationReachMonth.__table__)
