"""The one definition of what the summaries count, as SQL: the triggers that keep them
(created by migration 0016) and the rebuild from the rows use the same expressions.

What a row counts for, once its outcome is final:
- sent: every final outcome; accepted: IO has the message («accettato», «consegnato»);
  delivered: «consegnato» (IO's PROCESSED); not_on_io, service_disabled, uncertain: their
  outcome; errors: «errore» and «respinto» (IO refused it after accepting it);
- advanced: an ADVANCED message IO has; advanced_read / advanced_paid: IO said READ / PAID;
  advanced_payments: with a payment notice (its amount: the notice number goes at the purge).
- reach: «accettato», «consegnato» (reachable), «non su IO», «servizio disattivato» (known).
A row's date: sent_at when IO accepted it, else its last change (the decision), else its
creation; its day and month are Italian (Europe/Rome).
"""

from __future__ import annotations

from appio_core.domain import FINAL_OUTCOMES, Outcome

from .models import COUNTERS


def _values(outcomes: frozenset[Outcome] | set[Outcome]) -> str:
    return ", ".join(f"'{o.value}'" for o in sorted(outcomes))


FINAL = _values(FINAL_OUTCOMES)
ACCEPTED = _values({Outcome.ACCEPTED, Outcome.DELIVERED})
INFORMATIVE = _values(
    {Outcome.ACCEPTED, Outcome.DELIVERED, Outcome.NOT_ON_IO, Outcome.SERVICE_BLOCKED}
)


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def counter_expressions(r: str) -> dict[str, str]:
    """Each counter of one row `r` (NEW, OLD or a table's alias), 0 or 1."""
    advanced = f"{r}.feature_level = 'ADVANCED' AND {r}.outcome IN ({ACCEPTED})"
    return {
        "sent": _flag(f"{r}.outcome IN ({FINAL})"),
        "accepted": _flag(f"{r}.outcome IN ({ACCEPTED})"),
        "delivered": _flag(f"{r}.outcome = '{Outcome.DELIVERED.value}'"),
        "not_on_io": _flag(f"{r}.outcome = '{Outcome.NOT_ON_IO.value}'"),
        "service_disabled": _flag(f"{r}.outcome = '{Outcome.SERVICE_BLOCKED.value}'"),
        "errors": _flag(f"{r}.outcome IN ('{Outcome.ERROR.value}', '{Outcome.REJECTED.value}')"),
        "uncertain": _flag(f"{r}.outcome = '{Outcome.UNCERTAIN.value}'"),
        "advanced": _flag(advanced),
        "advanced_read": _flag(f"{advanced} AND {r}.read_status = 'READ'"),
        "advanced_paid": _flag(f"{advanced} AND {r}.payment_status = 'PAID'"),
        "advanced_payments": _flag(f"{advanced} AND {r}.amount IS NOT NULL"),
    }


def moment(r: str) -> str:
    return f"COALESCE({r}.sent_at, {r}.updated_at, {r}.created_at)"


def day(dialect: str, r: str) -> str:
    """The row's Italian day (Europe/Rome) as 20261205. SQLite has no time zones: Italy is
    2 hours ahead of UTC from the last Sunday of March, 01:00 UTC, to the last Sunday of
    October, 01:00 UTC, else 1 (tests/notifications/test_stats.py checks it against
    zoneinfo, hour by hour over years)."""
    t = moment(r)
    if dialect == "postgresql":
        return f"CAST(to_char({t} AT TIME ZONE 'Europe/Rome', 'YYYYMMDD') AS INTEGER)"

    def switch(month_end: str) -> str:
        return (
            f"datetime(date(strftime('%Y', {t}) || '{month_end}', '-6 days', 'weekday 0'),"
            " '+1 hours')"
        )

    summer = f"{t} >= {switch('-03-31')} AND {t} < {switch('-10-31')}"
    ahead = f"CASE WHEN {summer} THEN '+2 hours' ELSE '+1 hours' END"
    return f"CAST(strftime('%Y%m%d', {t}, {ahead}) AS INTEGER)"


def month(dialect: str, r: str) -> str:
    """The row's Italian month as 202612."""
    return f"({day(dialect, r)} / 100)"


def _changed(dialect: str) -> str:
    """An UPDATE that moves a row's counts: anything they read."""
    differ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    columns = ("outcome", "read_status", "payment_status", "feature_level", "amount",
               "service_id", "flow_id", "fiscal_code")  # fmt: skip
    parts = [f"OLD.{c} {differ} NEW.{c}" for c in columns]
    parts.append(f"{moment('OLD')} {differ} {moment('NEW')}")
    return "(" + " OR ".join(parts) + ")"


def _reach_changed(dialect: str) -> str:
    """An UPDATE that moves a row's citizen entries: what they read, not any outcome (a
    status read's «accettato» to «consegnato» leaves him reachable)."""
    differ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    parts = [f"OLD.{c} {differ} NEW.{c}" for c in ("service_id", "fiscal_code")]
    for outcomes in (INFORMATIVE, ACCEPTED):
        parts.append(f"(OLD.outcome IN ({outcomes})) <> (NEW.outcome IN ({outcomes}))")
    parts.append(
        f"({moment('OLD')} {differ} {moment('NEW')}"
        f" AND {month(dialect, 'OLD')} {differ} {month(dialect, 'NEW')})"
    )
    return "(" + " OR ".join(parts) + ")"


def _add_counts(dialect: str, r: str, sign: str) -> str:
    expressions = counter_expressions(r)
    names = ", ".join(COUNTERS)
    values = ", ".join(f"{sign}{expressions[c]}" for c in COUNTERS)
    updates = ", ".join(f"{c} = notification_counts.{c} + excluded.{c}" for c in COUNTERS)
    return (
        f"INSERT INTO notification_counts (day, service_id, flow_id, {names})"
        f" VALUES ({day(dialect, r)}, {r}.service_id, COALESCE({r}.flow_id, 0), {values})"
        f" ON CONFLICT (day, service_id, flow_id) DO UPDATE SET {updates}"
    )


def _same_counts_row(dialect: str) -> str:
    """OLD and NEW count on the same row of notification_counts (a status read, mostly)."""
    same = "IS NOT DISTINCT FROM" if dialect == "postgresql" else "IS"
    # The same moment is the same day, without working the day out (a status read).
    return (
        f"({moment('OLD')} {same} {moment('NEW')} OR {day(dialect, 'OLD')} = {day(dialect, 'NEW')})"
        " AND OLD.service_id = NEW.service_id"
        " AND COALESCE(OLD.flow_id, 0) = COALESCE(NEW.flow_id, 0)"
    )


def _move_counts(dialect: str) -> str:
    """NEW's counts less OLD's, on their one row: one write instead of two."""
    old, new = counter_expressions("OLD"), counter_expressions("NEW")
    names = ", ".join(COUNTERS)
    values = ", ".join(f"{new[c]} - {old[c]}" for c in COUNTERS)
    updates = ", ".join(f"{c} = notification_counts.{c} + excluded.{c}" for c in COUNTERS)
    return (
        f"INSERT INTO notification_counts (day, service_id, flow_id, {names})"
        f" VALUES ({day(dialect, 'NEW')}, NEW.service_id, COALESCE(NEW.flow_id, 0), {values})"
        f" ON CONFLICT (day, service_id, flow_id) DO UPDATE SET {updates}"
    )


def _add_reach(dialect: str, r: str, sign: str, where: str, service: str) -> list[str]:
    """The citizen's entry of the row's month for `service` (the row's, or 0: every
    service), then the month's distinct counts: a citizen who appears (`known` now 1 after
    adding) or goes (now 0 after taking away), reachable the same way."""
    reachable = _flag(f"{r}.outcome IN ({ACCEPTED})")
    applies = f"{r}.outcome IN ({INFORMATIVE}) AND {where}"
    entry = (
        "INSERT INTO notification_reach (month, service_id, citizen, known, reachable)"
        f" SELECT {month(dialect, r)}, {service}, {r}.fiscal_code, {sign}1, {sign}{reachable}"
        f" WHERE {applies}"
        " ON CONFLICT (month, service_id, citizen) DO UPDATE SET"
        " known = notification_reach.known + excluded.known,"
        " reachable = notification_reach.reachable + excluded.reachable"
    )
    edge = "0" if sign == "-" else "1"
    months = (
        "INSERT INTO notification_reach_months (month, service_id, citizens, reachable)"
        f" SELECT e.month, e.service_id, {sign}{_flag(f'e.known = {edge}')},"
        f" {sign}{_flag(f'e.reachable = {edge} AND {r}.outcome IN ({ACCEPTED})')}"
        f" FROM notification_reach e WHERE e.month = {month(dialect, r)}"
        f" AND e.service_id = {service} AND e.citizen = {r}.fiscal_code AND {applies}"
        " ON CONFLICT (month, service_id) DO UPDATE SET"
        " citizens = notification_reach_months.citizens + excluded.citizens,"
        " reachable = notification_reach_months.reachable + excluded.reachable"
    )
    return [entry, months]


def _reach(dialect: str, r: str, sign: str, where: str) -> list[str]:
    """Both entries of a row (its service's and every service's), counted; an entry left
    with no message is deleted."""
    statements = []
    for service in (f"{r}.service_id", "0"):
        statements += _add_reach(dialect, r, sign, where, service)
        if sign == "-":
            statements.append(
                f"DELETE FROM notification_reach WHERE month = {month(dialect, r)}"
                f" AND service_id = {service} AND citizen = {r}.fiscal_code AND known = 0"
            )
    return statements


TRIGGER_NAMES = (
    "notification_stats_insert",
    "notification_stats_update_same",
    "notification_stats_update_old",
    "notification_stats_update_new",
    "notification_stats_reach_old",
    "notification_stats_reach_new",
)


def create_triggers(dialect: str) -> list[str]:
    """The statements that create the triggers keeping the summaries."""
    final_new = f"NEW.outcome IN ({FINAL})"
    final_old = f"OLD.outcome IN ({FINAL})"
    changed = _changed(dialect)
    reach_changed = _reach_changed(dialect)
    same = f"{final_old} AND {final_new} AND {_same_counts_row(dialect)}"

    def block(statements: list[str]) -> str:
        return " ".join(f"{statement};" for statement in statements)

    if dialect == "postgresql":
        body = (
            "BEGIN"
            " IF TG_OP = 'UPDATE' THEN"
            f"  IF {same} THEN"
            f"   {block([_move_counts(dialect)])}"
            "  ELSE"
            f"   IF {final_old} THEN {block([_add_counts(dialect, 'OLD', '-')])} END IF;"
            f"   IF {final_new} THEN {block([_add_counts(dialect, 'NEW', '')])} END IF;"
            "  END IF;"
            f"  IF {reach_changed} THEN"
            f"   IF {final_old} THEN {block(_reach(dialect, 'OLD', '-', 'true'))} END IF;"
            f"   IF {final_new} THEN {block(_reach(dialect, 'NEW', '', 'true'))} END IF;"
            "  END IF;"
            " ELSE"
            f"  {block([_add_counts(dialect, 'NEW', '')])}"
            f"  {block(_reach(dialect, 'NEW', '', 'true'))}"
            " END IF;"
            " RETURN NULL;"
            " END"
        )
        return [
            "CREATE FUNCTION notification_stats() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ {body} $$",
            "CREATE TRIGGER notification_stats_insert AFTER INSERT ON notifications"
            f" FOR EACH ROW WHEN ({final_new}) EXECUTE FUNCTION notification_stats()",
            "CREATE TRIGGER notification_stats_update AFTER UPDATE ON notifications"
            f" FOR EACH ROW WHEN (({final_old} OR {final_new}) AND {changed})"
            " EXECUTE FUNCTION notification_stats()",
            # Fired even where the import's COPY skips the foreign keys' per-row triggers
            # (session_replication_role = replica, appio_core/flows/recipient_copy.py): the
            # counts are never skipped, and the import's guard sees no trigger it would skip.
            "ALTER TABLE notifications ENABLE ALWAYS TRIGGER notification_stats_insert",
            "ALTER TABLE notifications ENABLE ALWAYS TRIGGER notification_stats_update",
        ]
    # SQLite: the citizens' statements in triggers of their own, so that a status read
    # (no citizen entry moves) runs none of them: each would work out a month to look up.
    return [
        f"CREATE TRIGGER notification_stats_insert AFTER INSERT ON notifications"
        f" WHEN {final_new} BEGIN"
        f" {block([_add_counts(dialect, 'NEW', ''), *_reach(dialect, 'NEW', '', 'true')])}"
        " END",
        f"CREATE TRIGGER notification_stats_update_same AFTER UPDATE ON notifications"
        f" WHEN {changed} AND {same} BEGIN {block([_move_counts(dialect)])} END",
        f"CREATE TRIGGER notification_stats_update_old AFTER UPDATE ON notifications"
        f" WHEN {final_old} AND {changed} AND NOT ({same}) BEGIN"
        f" {block([_add_counts(dialect, 'OLD', '-')])} END",
        f"CREATE TRIGGER notification_stats_update_new AFTER UPDATE ON notifications"
        f" WHEN {final_new} AND {changed} AND NOT ({same}) BEGIN"
        f" {block([_add_counts(dialect, 'NEW', '')])} END",
        f"CREATE TRIGGER notification_stats_reach_old AFTER UPDATE ON notifications"
        f" WHEN {final_old} AND {reach_changed} BEGIN"
        f" {block(_reach(dialect, 'OLD', '-', 'true'))} END",
        f"CREATE TRIGGER notification_stats_reach_new AFTER UPDATE ON notifications"
        f" WHEN {final_new} AND {reach_changed} BEGIN"
        f" {block(_reach(dialect, 'NEW', '', 'true'))} END",
    ]


def drop_triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS notification_stats_insert ON notifications",
            "DROP TRIGGER IF EXISTS notification_stats_update ON notifications",
            "DROP FUNCTION IF EXISTS notification_stats()",
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGER_NAMES]


def fill_from_rows(dialect: str) -> list[str]:
    """The statements that compute both summaries from the rows (into empty tables)."""
    expressions = counter_expressions("n")
    names = ", ".join(COUNTERS)
    sums = ", ".join(f"SUM({expressions[c]})" for c in COUNTERS)
    counts = (
        f"INSERT INTO notification_counts (day, service_id, flow_id, {names})"
        f" SELECT {day(dialect, 'n')}, n.service_id, COALESCE(n.flow_id, 0), {sums}"
        f" FROM notifications n WHERE n.outcome IN ({FINAL})"
        f" GROUP BY {day(dialect, 'n')}, n.service_id, COALESCE(n.flow_id, 0)"
    )
    reachable = _flag(f"n.outcome IN ({ACCEPTED})")
    reach = [
        "INSERT INTO notification_reach (month, service_id, citizen, known, reachable)"
        f" SELECT {month(dialect, 'n')}, {service}, n.fiscal_code, COUNT(*), SUM({reachable})"
        f" FROM notifications n WHERE n.outcome IN ({INFORMATIVE})"
        f" GROUP BY {month(dialect, 'n')}, {grouped}n.fiscal_code"
        for service, grouped in (("n.service_id", "n.service_id, "), ("0", ""))
    ]
    months = (
        "INSERT INTO notification_reach_months (month, service_id, citizens, reachable)"
        f" SELECT month, service_id, COUNT(*), SUM({_flag('reachable > 0')})"
        " FROM notification_reach GROUP BY month, service_id"
    )
    return [counts, *reach, months]
