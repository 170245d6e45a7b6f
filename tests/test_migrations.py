"""The migrations have one head and build exactly the schema the models describe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from appio_core.storage.migrate import alembic_config, upgrade
from appio_core.storage.models import Base, UTCDateTime
from appio_core.storage.subject_search import include_name


def test_the_migrations_have_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_the_migrated_database_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        # The subject search's FTS table and trigram index are left out as env.py does.
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def _predicate(where: object) -> str:
    """A partial index's predicate, without the parentheses, casts and case PostgreSQL adds."""
    if where is None:
        return ""
    # PostgreSQL gives a comparison of a VARCHAR column back with its casts (`state::text`).
    text = str(where).lower().replace("::text", "")
    return text.replace("(", "").replace(")", "").strip()


def test_the_partial_indexes_have_the_migrations_predicates(engine: Engine) -> None:
    # Alembic's comparison leaves the predicates out, and the models give PostgreSQL its
    # own apart (appio_core.storage.partial_index): compared here, on each database.
    dialect = engine.dialect.name
    inspector = inspect(engine)
    checked = 0
    for table in Base.metadata.tables.values():
        reflected = {
            index["name"]: index["dialect_options"].get(f"{dialect}_where")
            for index in inspector.get_indexes(table.name)
        }
        for index in table.indexes:
            assert index.name in reflected, index.name
            declared = index.dialect_options[dialect]["where"]
            assert _predicate(declared) == _predicate(reflected[index.name]), index.name
            checked += declared is not None
    assert checked == 8  # notifications' six, the audit log's one, the webhooks' claim


def _insert(conn: Connection, table: str, **values: object) -> None:
    names = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({params})"), values)


def test_upgrading_to_notifications_keeps_every_recipient_of_every_flow(
    db_url: str, engine: Engine
) -> None:
    command.downgrade(alembic_config(db_url), "0002")
    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    stamp = UTCDateTime().dialect_impl(engine.dialect).bind_processor(engine.dialect)
    when = stamp(at) if stamp else at
    with engine.begin() as conn:
        _insert(conn, "io_accounts", id=1, name="a", rate_limit_requests=150,
                rate_limit_window_seconds=5)  # fmt: skip
        _insert(conn, "services", id=7, name="Tributi", io_service_id="S1",
                organization_name="", organization_fiscal_code="", primary_key_encrypted="x",
                primary_key_last4="abcd", max_payment_amount=100, account_id=1, active=True,
                created_at=when, updated_at=when)  # fmt: skip
        _insert(conn, "flows", id=3, name="TARI", description="", natura="Comunicazione",
                service_id=7, created_by="mrossi", state="Inviato", created_at=when,
                updated_at=when, source_filename="f.csv", source_checksum="c",
                check_profile=True, feature_level="ADVANCED", status_check_hours=48,
                recipients_total=2)  # fmt: skip
        for row_id, next_check in ((41, when), (42, None)):
            _insert(conn, "recipients", id=row_id, flow_id=3, row_number=row_id - 39,
                    fiscal_code="RSSMRA80A01H501U", subject="Oggetto", markdown="Testo",
                    extra="{}", outcome="accettato", attempts=1, retryable=False, sent_at=when,
                    io_message_id=f"M{row_id}", next_status_check_at=next_check)  # fmt: skip
    upgrade(db_url)
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT id, flow_id, service_id, created_by, feature_level, row_number,"
                " status_check_until FROM notifications ORDER BY id"
            )
        ).all()
        until = stamp(at + timedelta(hours=48)) if stamp else at + timedelta(hours=48)
        assert [tuple(r) for r in rows] == [
            (41, 3, 7, "mrossi", "ADVANCED", 2, until),  # still followed: gets its bound
            (42, 3, 7, "mrossi", "ADVANCED", 3, None),
        ]
        _insert(conn, "notifications", service_id=7, created_by="admin", created_at=when,
                fiscal_code="RSSMRA80A01H501U", subject="S", markdown="T",
                feature_level="STANDARD", extra="{}", outcome="da inviare", attempts=0,
                retryable=False)  # fmt: skip
        new_id = conn.execute(text("SELECT MAX(id) FROM notifications")).scalar_one()
        assert new_id == 43  # the ids go on after the copied rows
