"""The database schema: typed SQLAlchemy 2.0 models.

Enumerations are stored as short strings (not native enums) so that SQLite and
PostgreSQL hold the same schema and Alembic migrations stay plain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(StrEnum):
    """What an operator may do; the labels are the Italian names the users know."""

    ADMIN = "amministratore"  # everything, on every service
    OPERATOR = "operatore"  # composes and sends on the services enabled for them
    VIEWER = "consultazione"  # reads the services enabled for them


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
    role: Mapped[Role] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    services: Mapped[list[Service]] = relationship(
        secondary=service_operators, back_populates="operators", order_by="Service.name"
    )


class IoAccount(Base):
    """An IO (APIM) account: its services share one rate limit."""

    __tablename__ = "io_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # IO's gateway allows 150 requests per sliding 5 s per account; some accounts have 250.
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

    account: Mapped[IoAccount] = relationship(back_populates="services", lazy="joined")
    operators: Mapped[list[Operator]] = relationship(
        secondary=service_operators, back_populates="services", order_by="Operator.username"
    )
