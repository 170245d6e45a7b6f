"""The triggers that write the webhook events, in the same transaction as the change that
caused them (created by migration 0025; a change here comes with a revision that drops
and re-creates them).

On `notifications`, for the rows an integration created (integration_id set: its single
messages), an event when a row *becomes* something it was not (so that a row written
twice with the same outcome sends one event):
- notification.accepted: «accettato» or «consegnato» (IO has the message);
- notification.not_on_io, .service_disabled, .uncertain: their outcome;
- notification.error: «errore», or «respinto» (IO refused it after accepting it);
- notification.delivered: «consegnato» or IO's status PROCESSED;
- notification.read: IO's read status READ; notification.paid: payment status PAID.
On `flows` (integration_id set): flow.state_changed when the state changes. A flow's
recipients carry no integration_id: the flow's state tells the integrator to read them.

Only for an integration with a URL and not revoked: the others get no event to pile up.
On PostgreSQL the triggers are ENABLE ALWAYS, as the summaries' (stats/sql.py): the
import's replica mode (appio_core/flows/recipient_copy.py) must not skip them, and its
guard then sees no trigger it would skip.
"""

from __future__ import annotations

from collections.abc import Callable

from appio_core.domain import Outcome

from .models import DeliveryState, EventType


def _values(*outcomes: Outcome) -> str:
    return ", ".join(f"'{o.value}'" for o in outcomes)


# What a row is, for each event (the row's name given: NEW or OLD): the event is written
# when NEW is and OLD was not.
NOTIFICATION_RULES: dict[EventType, Callable[[str], str]] = {
    EventType.ACCEPTED: lambda r: (
        f"{r}.outcome IN ({_values(Outcome.ACCEPTED, Outcome.DELIVERED)})"
    ),
    EventType.NOT_ON_IO: lambda r: f"{r}.outcome = '{Outcome.NOT_ON_IO.value}'",
    EventType.SERVICE_DISABLED: lambda r: f"{r}.outcome = '{Outcome.SERVICE_BLOCKED.value}'",
    EventType.ERROR: lambda r: f"{r}.outcome IN ({_values(Outcome.ERROR, Outcome.REJECTED)})",
    EventType.UNCERTAIN: lambda r: f"{r}.outcome = '{Outcome.UNCERTAIN.value}'",
    EventType.DELIVERED: lambda r: (
        f"({r}.outcome = '{Outcome.DELIVERED.value}' OR COALESCE({r}.io_status, '') = 'PROCESSED')"
    ),
    EventType.READ: lambda r: f"COALESCE({r}.read_status, '') = 'READ'",
    EventType.PAID: lambda r: f"COALESCE({r}.payment_status, '') = 'PAID'",
}
# The columns the rules read: an UPDATE that sets none of them fires nothing.
WATCHED = "outcome, io_status, read_status, payment_status"
NOTIFICATION_DATA = (
    "id", "outcome", "io_message_id", "io_status", "read_status", "payment_status",
    "error_detail",
)  # fmt: skip


def _rule(event: EventType, row: str) -> str:
    return NOTIFICATION_RULES[event](row)


def _event_id(dialect: str) -> str:
    """A new «msg_» and 32 hex digits: random, made once, the same on every attempt."""
    if dialect == "postgresql":
        return "'msg_' || replace(gen_random_uuid()::text, '-', '')"
    return "'msg_' || lower(hex(randomblob(16)))"


def _now(dialect: str) -> str:
    # SQLite: the text SQLAlchemy writes for a UTC datetime (microseconds: 3 digits and 000).
    return "now()" if dialect == "postgresql" else "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


def _json(dialect: str, pairs: list[tuple[str, str]]) -> str:
    inner = ", ".join(f"'{key}', {value}" for key, value in pairs)
    return (
        f"json_build_object({inner})::text" if dialect == "postgresql" else f"json_object({inner})"
    )


def _insert(dialect: str, event: EventType, row: str, data: str, condition: str) -> str:
    return (
        "INSERT INTO webhook_events (integration_id, event_id, type, subject_id, data,"
        " created_at, state, attempts)"
        f" SELECT i.id, {_event_id(dialect)}, '{event.value}', {row}.id, {data},"
        f" {_now(dialect)}, '{DeliveryState.PENDING.value}', 0"
        f" FROM integrations i WHERE i.id = {row}.integration_id"
        f" AND i.webhook_url IS NOT NULL AND i.revoked_at IS NULL AND {condition}"
    )


def notification_statements(dialect: str, *, on_update: bool) -> list[str]:
    """One INSERT per event, in the order a receiver should read them (accepted before
    delivered before read)."""
    data = _json(dialect, [(c, f"NEW.{c}") for c in NOTIFICATION_DATA])
    statements = []
    for event in NOTIFICATION_RULES:
        condition = _rule(event, "NEW")
        if on_update:
            condition = f"{condition} AND NOT ({_rule(event, 'OLD')})"
        statements.append(_insert(dialect, event, "NEW", data, condition))
    return statements


def flow_statement(dialect: str) -> str:
    data = _json(
        dialect, [("id", "NEW.id"), ("state", "NEW.state"), ("previous_state", "OLD.state")]
    )
    return _insert(dialect, EventType.FLOW_STATE, "NEW", data, "true")


API_ROW = "NEW.integration_id IS NOT NULL"
TRIGGERS = (
    ("webhook_notification_insert", "notifications"),
    ("webhook_notification_update", "notifications"),
    ("webhook_flow_update", "flows"),
)
FUNCTIONS = (
    "webhook_notification_inserted",
    "webhook_notification_updated",
    "webhook_flow_updated",
)


def _body(statements: list[str]) -> str:
    return " ".join(f"{s};" for s in statements)


def create_triggers(dialect: str) -> list[str]:
    inserted = notification_statements(dialect, on_update=False)
    updated = notification_statements(dialect, on_update=True)
    flow = [flow_statement(dialect)]
    differ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    heads = (
        "AFTER INSERT ON notifications",
        f"AFTER UPDATE OF {WATCHED} ON notifications",
        "AFTER UPDATE OF state ON flows",
    )
    whens = (API_ROW, API_ROW, f"{API_ROW} AND OLD.state {differ} NEW.state")
    bodies = (inserted, updated, flow)
    if dialect != "postgresql":
        return [
            f"CREATE TRIGGER {name} {head} WHEN {when} BEGIN {_body(body)} END"
            for (name, _), head, when, body in zip(TRIGGERS, heads, whens, bodies, strict=True)
        ]
    statements = []
    for (name, table), function, head, when, body in zip(
        TRIGGERS, FUNCTIONS, heads, whens, bodies, strict=True
    ):
        statements += [
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN {_body(body)} RETURN NULL; END $$",
            f"CREATE TRIGGER {name} {head} FOR EACH ROW WHEN ({when})"
            f" EXECUTE FUNCTION {function}()",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}",
        ]
    return statements


def drop_triggers(dialect: str) -> list[str]:
    if dialect != "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name}" for name, _ in TRIGGERS]
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in TRIGGERS] + [
        f"DROP FUNCTION IF EXISTS {function}()" for function in FUNCTIONS
    ]
