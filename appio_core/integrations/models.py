"""The integrations' tables, registered on the schema's `Base` and kept with their code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from appio_core.storage.models import Base, UTCDateTime, utcnow

NAME_LENGTH = 60
URL_LENGTH = 500

integration_services = Table(
    "integration_services",
    Base.metadata,
    Column("integration_id", ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class Integration(Base):
    """A system allowed to call the API, with one key."""

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    # The key's SHA-256: the key is 256 random bits, so a plain hash suffices (as for the
    # sessions' tokens), and a lookup by hash finds it at each request.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(20))  # its first characters, to recognise it
    scopes: Mapped[str] = mapped_column(String(200))  # comma-separated Scope values
    webhook_url: Mapped[str | None] = mapped_column(String(URL_LENGTH), nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # sealed (KeyBox)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
