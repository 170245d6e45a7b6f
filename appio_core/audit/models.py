"""The audit log's table.

Registered on the schema's `Base` like every model (appio_core.storage.models), but kept
here, with the code that writes and reads it. Nothing references it and it references
nothing: an entry names its operator and target in words, so that it outlives them.
Append-only: the database's triggers refuse every DELETE and every UPDATE but one, the
purge's: a codice fiscale in `fiscal_code` replaced by its pseudonym once the retention
period is over (migration 0012; appio_core.audit.personal).
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from appio_core.storage.models import Base, UTCDateTime
from appio_core.storage.partial_index import partial_index

TARGET_LENGTH = 300
ORIGIN_LENGTH = 200
FISCAL_CODE_LENGTH = 16  # a codice fiscale, or its pseudonym (as long)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_operator", "operator", "id"),
        Index("ix_audit_log_action", "action", "id"),
        # The purge's: the entries naming a citizen, by age.
        partial_index("ix_audit_log_fiscal_code_at", "at", where="fiscal_code IS NOT NULL"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The username (operators are never deleted or renamed); «appio-cli» and
    # «appio-worker» are the installation itself (reserved names).
    operator: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))  # an AuditAction's code
    target: Mapped[str] = mapped_column(String(TARGET_LENGTH))  # on what, in words
    outcome: Mapped[str] = mapped_column(String(20))  # an AuditOutcome
    detail: Mapped[str] = mapped_column(Text)
    # Where from, when known: the browser's address, or the machine's user and host.
    origin: Mapped[str] = mapped_column(String(ORIGIN_LENGTH))
    # The citizen the entry is about (a search, an export filtered by him, a read of his
    # data), apart from the free text so that the purge finds it: the codice fiscale, then
    # its pseudonym (ps:...) after the retention period. NULL for most entries.
    fiscal_code: Mapped[str | None] = mapped_column(String(FISCAL_CODE_LENGTH), nullable=True)


AUDIT_LOG = cast(Table, AuditEntry.__table__)
