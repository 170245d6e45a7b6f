"""the audit log's codici fiscali in a column of their own, which the purge may pseudonymize

`audit_log.fiscal_code`: the citizen an entry is about (a search by his code, an export
filtered by it, a read of his data), NULL for most entries; a partial index finds the
entries naming someone, by age, for the purge. The exports of notifications filtered by
a codice fiscale kept it in their detail («codice fiscale: RSSMRA...»): it moves to the
column, the detail saying where it went.

The append-only triggers are replaced: they still refuse every DELETE and every UPDATE,
but one: `fiscal_code` from a value that is not a pseudonym to a pseudonym (`ps:` and 13
characters), with every other column as it was (appio_core.audit.personal). PostgreSQL
compares the rest of the row whole (any column added later is covered); SQLite names
each column (tests/audit/test_append_only.py tries every one of them).

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-15 10:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit_log is append-only: its rows cannot be changed or deleted"
INDEX = "ix_audit_log_fiscal_code_at"
# What appio_core.notifications.archive's NotificationFilters.describe wrote, and writes now.
LABEL = "codice fiscale: "
IN_COLUMN = "vedi «Codice fiscale»"
_IN_DETAIL = re.compile(r"codice fiscale: (.*?)(?=; |\.(?: |$))")
OTHERS = ("id", "at", "operator", "action", "target", "outcome", "detail", "origin")
# The one UPDATE allowed: a codice fiscale (or any text that is not a pseudonym) becomes one.
PSEUDONYMIZED = (
    "OLD.fiscal_code IS NOT NULL AND NEW.fiscal_code IS NOT NULL"
    " AND substr(OLD.fiscal_code, 1, 3) <> 'ps:'"
    " AND substr(NEW.fiscal_code, 1, 3) = 'ps:' AND length(NEW.fiscal_code) = 16"
)
PG_SAME_OTHERWISE = "(to_jsonb(NEW) - 'fiscal_code') = (to_jsonb(OLD) - 'fiscal_code')"
SQLITE_SAME_OTHERWISE = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in OTHERS)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("fiscal_code", sa.String(length=16), nullable=True))
    condition = sa.text("fiscal_code IS NOT NULL")
    op.create_index(INDEX, "audit_log", ["at"], sqlite_where=condition, postgresql_where=condition)
    postgresql = op.get_bind().dialect.name == "postgresql"
    _drop_old_triggers(postgresql)
    _move_codes_out_of_details()
    if postgresql:
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN IF TG_OP = 'UPDATE' AND {PSEUDONYMIZED} AND {PG_SAME_OTHERWISE}"
            f" THEN RETURN NEW; END IF; RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
            " FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        return
    op.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
        # coalesce: a condition that comes out NULL must refuse too, not let through.
        f" WHEN NOT coalesce(({PSEUDONYMIZED} AND {SQLITE_SAME_OTHERWISE}), 0)"
        f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
        f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    )


def _drop_old_triggers(postgresql: bool) -> None:
    if postgresql:
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")


def _move_codes_out_of_details() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, detail FROM audit_log WHERE action = 'export.notifications'"
            " AND detail LIKE '%codice fiscale: %'"
        )
    ).all()
    for row_id, detail in rows:
        found = _IN_DETAIL.search(detail)
        if found is None or found.group(1) == IN_COLUMN:
            continue
        code = found.group(1).strip().upper()[:16] or None
        bind.execute(
            sa.text("UPDATE audit_log SET fiscal_code = :code, detail = :detail WHERE id = :id"),
            {"id": row_id, "code": code, "detail": _IN_DETAIL.sub(LABEL + IN_COLUMN, detail, 1)},
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    _drop_old_triggers(postgresql)  # the ones upgrade() made, named the same
    bind = op.get_bind()
    placeholder = LABEL + IN_COLUMN
    rows = bind.execute(
        sa.text("SELECT id, detail, fiscal_code FROM audit_log WHERE fiscal_code IS NOT NULL")
    ).all()
    for row_id, detail, code in rows:
        if placeholder in detail:
            bind.execute(
                sa.text("UPDATE audit_log SET detail = :detail WHERE id = :id"),
                {"id": row_id, "detail": detail.replace(placeholder, LABEL + code, 1)},
            )
    op.drop_index(INDEX, table_name="audit_log")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("fiscal_code")
    if postgresql:
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
            " FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log"
            f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
