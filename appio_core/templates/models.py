"""The templates' tables: a template (its name, service, current version) and its versions.

Registered on the schema's `Base` like every model (appio_core.storage.models), but kept
here, with the code that writes and reads them. A version is never changed nor deleted: a
flow or a message that used it keeps pointing at what it was (`flows.template_id`,
`notifications.template_id` and their `template_version`).

Each feature of a message that a template carries is one column of a version (the
payment and due-date columns, the ADVANCED choice, «Canale sicuro», the call-to-action
buttons): a new one is one more nullable column.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from appio_core.domain import FeatureLevel
from appio_core.storage.models import Base, EnumText, UTCDateTime

NAME_LENGTH = 100
COLUMN_LENGTH = 200  # a header of the recipient file


class MessageTemplate(Base):
    """A template of one service. Its name is unique in the installation, so that the CLI
    names it alone (`appio template show TARI@2`)."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    current_version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageTemplateVersion(Base):
    """What a template said from one edit to the next: written once, never changed."""

    __tablename__ = "message_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("message_templates.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    natura: Mapped[str] = mapped_column(String(60))
    subject_template: Mapped[str] = mapped_column(Text)
    text_template: Mapped[str] = mapped_column(Text)
    # The recipient file's columns holding the payment data and the due date, when they are
    # not found by their names (Templates.columns of a flow).
    amount_column: Mapped[str | None] = mapped_column(String(COLUMN_LENGTH), nullable=True)
    notice_number_column: Mapped[str | None] = mapped_column(String(COLUMN_LENGTH), nullable=True)
    due_date_column: Mapped[str | None] = mapped_column(String(COLUMN_LENGTH), nullable=True)
    feature_level: Mapped[FeatureLevel] = mapped_column(EnumText(FeatureLevel, 10))
    # IO's require_secure_channels («Canale sicuro»); NULL: not chosen (a version written
    # before messages could carry it).
    require_secure_channels: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The call-to-action buttons as JSON (appio_core.content.cta.to_json); NULL: none.
    cta: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
