"""The database schema: typed SQLAlchemy 2.0 models.

Enumerations are stored as short strings (not native enums) so that SQLite and
PostgreSQL hold the same schema and Alembic migrations stay plain; `EnumText` gives
them back as the enums of appio_core.domain.

Every message this installation sends is one row of `notifications`: the recipients of
a flow (`flow_id` set) and the single messages of «Nuovo» (`flow_id` NULL) alike, so
that one query serves the archive.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from appio_core.domain import ApprovalPolicy, FeatureLevel, FlowState, Outcome, Role
from appio_core.storage.partial_index import partial_index

# One naming convention so that Alembic names constraints the same way on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A StrEnum stored as its value in a VARCHAR, read back as the enum member."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum
        # A dict lookup: calling the enum costs several times more, once per row read.
        self._members: dict[str, E] = {member.value: member for member in enum}

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        # A plain string is accepted only when it is one of the enum's values.
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self._members[value]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


service_operators = Table(
    "service_operators",
    Base.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("operator_id", ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True),
)


class Operator(Base):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(EnumText(Role, 20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # For single sign-on: the identity provider's e-mail claim names the operator.
    email: Mapped[str | None] = mapped_column(String(254), unique=True, default=None)

    services: Mapped[list[Service]] = relationship(
        secondary=service_operators, back_populates="operators", order_by="Service.name"
    )


class IoAccount(Base):
    """An IO (APIM) account: its services share one rate limit."""

    __tablename__ = "io_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # IO's gateway allows 150 requests per sliding 5 s per account; some accounts have 250,
    # a few none (0 here: no client-side pacing).
    rate_limit_requests: Mapped[int] = mapped_column(Integer, default=150)
    rate_limit_window_seconds: Mapped[int] = mapped_column(Integer, default=5)

    services: Mapped[list[Service]] = relationship(back_populates="account")


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    io_service_id: Mapped[str] = mapped_column(String(100), unique=True)
    organization_name: Mapped[str] = mapped_column(String(200), default="")
    organization_fiscal_code: Mapped[str] = mapped_column(String(11), default="")
    # API keys are stored encrypted (Fernet, APPIO_SECRET_KEY); only the last 4 characters
    # are kept in clear, to show which key is configured.
    primary_key_encrypted: Mapped[str] = mapped_column(String(500))
    primary_key_last4: Mapped[str] = mapped_column(String(4))
    secondary_key_encrypted: Mapped[str | None] = mapped_column(String(500), nullable=True)
    secondary_key_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    # IO refuses payment notices above the service's maximum (default 1,000,000 cents).
    max_payment_amount: Mapped[int] = mapped_column(BigInteger, default=1_000_000)
    account_id: Mapped[int] = mapped_column(ForeignKey("io_accounts.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # «Rigenera chiavi» (appio_core.accounts.key_regeneration): while the primary key is
    # regenerated, IO is called with the secondary first; and one regeneration at a time.
    secondary_first: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    keys_regeneration_started_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )
    # Four eyes (appio_core.flows.approval): whose flows wait for a second operator.
    approval_policy: Mapped[ApprovalPolicy] = mapped_column(
        EnumText(ApprovalPolicy, 10), default=ApprovalPolicy.OFF, server_default="off"
    )
    approval_threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)  # ABOVE's N

    account: Mapped[IoAccount] = relationship(back_populates="services", lazy="joined")
    operators: Mapped[list[Operator]] = relationship(
        secondary=service_operators, back_populates="services", order_by="Operator.username"
    )


class Flow(Base):
    """A bulk sending flow: one service, one recipient file, many recipients."""

    __tablename__ = "flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    natura: Mapped[str] = mapped_column(String(60))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    state: Mapped[FlowState] = mapped_column(EnumText(FlowState, 30), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    source_filename: Mapped[str] = mapped_column(String(255))
    source_checksum: Mapped[str] = mapped_column(String(64), index=True)  # SHA-256, hex
    subject_template: Mapped[str | None] = mapped_column(Text, nullable=True)
    text_template: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Options: IO's guidance is to check the profile before sending.
    check_profile: Mapped[bool] = mapped_column(Boolean, default=True)
    feature_level: Mapped[FeatureLevel] = mapped_column(
        EnumText(FeatureLevel, 10), default=FeatureLevel.STANDARD
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # How long after sending the dispatcher reads each message's status; 0 = never.
    status_check_hours: Mapped[int] = mapped_column(Integer, default=48)
    # Call-to-action buttons (JSON, appio_core.content.cta) and IO's require_secure_channels:
    # the same for every recipient.
    cta: Mapped[str | None] = mapped_column(Text, nullable=True)
    secure_channel: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recipients_total: Mapped[int] = mapped_column(Integer, default=0)
    # Why the dispatcher paused the flow by itself (e.g. IO refused the service's key).
    dispatcher_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Four eyes (appio_core.flows.approval): who asked, who decided, and the note the
    # author reads (why it was rejected, or why the request was taken away).
    approval_requested_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approval_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approval_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The «Verifica file» report of the file imported (JSON, its first warnings only), for
    # the operator who approves the flow.
    file_report: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The saved template («Modelli», appio_core.templates) and version it was made from.
    template_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    template_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # «Rettifica»: the flow this one corrects (appio_core.flows.correction). Not a foreign
    # key, like corrects_notification_id: SQLite adds one only by copying the table (and
    # dropping the old one would cascade); flows are never deleted.
    corrects_flow_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    # The integration that created it through the API (appio_core.integrations), told of
    # its changes by webhook; NULL for a flow made by an operator.
    integration_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    service: Mapped[Service] = relationship(lazy="joined")


class Notification(Base):
    """One message to one citizen: a recipient of a flow, or a single message («Nuovo»)."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The dispatcher's claim: pending rows of a flow, in file order.
        Index("ix_notifications_flow_outcome", "flow_id", "outcome", "id"),
        # A flow's recipients in file order.
        Index("ix_notifications_flow_row", "flow_id", "row_number"),
        # The archive: newest first, by citizen or by service.
        Index("ix_notifications_fiscal_code", "fiscal_code", "id"),
        Index("ix_notifications_service", "service_id", "id"),
        # Columns that only sent messages fill: a row not yet sent has no entry (an import
        # writes none), and every query compares them, which implies IS NOT NULL.
        *(
            partial_index(f"ix_notifications_{column}", column, where=f"{column} IS NOT NULL")
            for column in ("sent_at", "io_message_id", "next_status_check_at")
        ),
        # A request key is its author's; flows' rows have none, and no entry.
        partial_index(
            "ux_notifications_author_request_key",
            "created_by",
            "request_key",
            unique=True,
            where="request_key IS NOT NULL",
        ),
        # «Rettificata da»: the corrections of a message; only corrections have an entry.
        partial_index(
            "ix_notifications_corrects_notification_id",
            "corrects_notification_id",
            where="corrects_notification_id IS NOT NULL",
        ),
        # The daily purge: the rows still holding personal data, oldest first.
        partial_index("ix_notifications_unpurged", "created_at", where="purged_at IS NULL"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    flow_id: Mapped[int | None] = mapped_column(
        ForeignKey("flows.id", ondelete="CASCADE"), nullable=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    row_number: Mapped[int | None] = mapped_column(Integer, nullable=True)  # in the file
    created_by: Mapped[str] = mapped_column(String(64))  # the author (a flow's: its author)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A single message's request key (a form's token, `--request-key`), unique per author,
    # and the fingerprint of what it asked: the same key again finds this row instead of
    # sending again; with other content it is refused (appio_core.notifications.request_keys).
    request_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fiscal_code: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    markdown: Mapped[str] = mapped_column(Text)
    amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # euro cents
    notice_number: Mapped[str | None] = mapped_column(String(18), nullable=True)
    due_date: Mapped[str | None] = mapped_column(String(30), nullable=True)  # ISO UTC
    # IO's payment_data.invalid_after_due_date: the notice cannot be paid after its due date.
    invalid_after_due_date: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    feature_level: Mapped[FeatureLevel] = mapped_column(
        EnumText(FeatureLevel, 10), default=FeatureLevel.STANDARD
    )
    extra: Mapped[str] = mapped_column(Text, default="{}")  # the file's other columns, JSON
    # A single message's buttons and «canale sicuro»; a flow's rows use the flow's.
    cta: Mapped[str | None] = mapped_column(Text, nullable=True)
    secure_channel: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    outcome: Mapped[Outcome] = mapped_column(EnumText(Outcome, 40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The row's own send date from its file (GovIO's expedition_date, «data invio»): the
    # dispatcher does not claim it before. Apart from next_attempt_at, which retries move.
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    worker_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # Set and committed just before the message is posted: a crash after this point leaves
    # the row "esito incerto", never silently resent.
    send_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    io_message_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    # An "errore" that came from retries running out (429, 503, network): may be resent.
    retryable: Mapped[bool] = mapped_column(Boolean, default=False)
    io_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    email_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    read_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    payment_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the dispatcher should next read IO's status of this message; NULL = never again.
    next_status_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Status reads stop after this moment (sent_at + the flow's status_check_hours).
    status_check_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set by the purge of personal data (appio_core.notifications.retention): text, subject,
    # the file's columns and the notice number are gone, the codice fiscale is a pseudonym.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    purge_days: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the retention then
    # A single message's saved template and version (a flow's rows: the flow's).
    template_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    template_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # «Rettifica»: the message this one corrects, to the same citizen (a single correction,
    # or a row of a correcting flow: the original flow's row). Not a foreign key (SQLite
    # adds one only by copying the table): a sent message is never deleted, and a
    # correcting flow's file cannot be replaced.
    corrects_notification_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), nullable=True
    )
    # The integration that sent it through the API (a flow's rows: the flow's), told of its
    # changes by webhook. Not a foreign key, as above.
    integration_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    flow: Mapped[Flow | None] = relationship(lazy="raise")
    service: Mapped[Service] = relationship(lazy="raise")


# The table itself, typed as one, for Core statements (the ORM types __table__ loosely).
NOTIFICATIONS = cast(Table, Notification.__table__)
FLOWS = cast(Table, Flow.__table__)


class NotificationStatusEvent(Base):
    """A change in IO's status of a message, as a status read found it: the history."""

    __tablename__ = "notification_status_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    io_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    email_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    read_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    payment_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
