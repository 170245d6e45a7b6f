"""`appio health`: can this installation work? For monitoring, container health checks and
the check after an upgrade.

Every check gives one line in Italian for the IT technician; a failed one says what to
do. Nothing here may reveal a secret: the database URL is shown with its password
masked, error texts are scrubbed of it, and services are named, never their keys.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from appio_core.accounts.security import KeyBox, KeyUnreadable
from appio_core.config import Settings
from appio_core.storage.db import make_engine
from appio_core.storage.migrate import UnknownRevision, pending_revisions
from appio_core.storage.models import IoAccount, Service

# A monitoring probe must answer, not hang on a black-holed database host.
CONNECT_TIMEOUT_SECONDS = 10


class CheckName(StrEnum):
    CONFIGURATION = "configurazione"
    DATABASE = "database"
    MIGRATIONS = "migrazioni"
    KEYS = "chiavi"
    IO = "io"


@dataclass(frozen=True)
class Check:
    name: CheckName
    ok: bool
    message: str  # Italian; for a failure, what to do


@dataclass(frozen=True)
class HealthReport:
    database: str  # the URL, password masked
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "database": self.database,
            "checks": [
                {"name": str(check.name), "ok": check.ok, "message": check.message}
                for check in self.checks
            ],
        }


def configuration_failed(message: str) -> HealthReport:
    """The report when the settings themselves cannot be loaded (e.g. a missing secret file)."""
    return HealthReport("", (Check(CheckName.CONFIGURATION, False, message),))


def check_health(settings: Settings, *, io: bool = False) -> HealthReport:
    masked = masked_url(settings.database_url)
    engine_or_problem = _engine(settings.database_url, masked)
    if isinstance(engine_or_problem, Check):
        return HealthReport(masked, (engine_or_problem,))
    engine = engine_or_problem
    try:
        checks = _checks(engine, settings, masked, io=io)
    finally:
        engine.dispose()
    return HealthReport(masked, tuple(checks))


def _checks(engine: Engine, settings: Settings, masked: str, *, io: bool) -> list[Check]:
    try:
        conn = engine.connect()
        conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return [
            Check(
                CheckName.DATABASE,
                False,
                f"Database non raggiungibile ({masked}): controlla APPIO_DATABASE_URL, la "
                "rete e che il server del database sia acceso. Dettaglio: "
                + _reason(exc, settings.database_url),
            )
        ]
    checks = [Check(CheckName.DATABASE, True, f"Database raggiungibile ({masked}).")]
    with conn:
        try:
            migrations, has_tables = _migrations(conn)
            checks.append(migrations)
            if has_tables:
                checks.append(_service_keys(conn, settings.secret_key))
                if io:
                    checks.append(_io(conn, settings))
        except SQLAlchemyError as exc:
            # Reachable, but not the schema these checks expect (e.g. a table dropped by hand).
            checks.append(
                Check(
                    CheckName.DATABASE,
                    False,
                    "Il database ha risposto con un errore durante le verifiche: esegui "
                    "`appio init`; se l'errore resta, ripristina l'ultimo backup. Dettaglio: "
                    + _reason(exc, settings.database_url),
                )
            )
    return checks


def _engine(url: str, masked: str) -> Engine | Check:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return Check(
            CheckName.DATABASE,
            False,
            "APPIO_DATABASE_URL non è un indirizzo di database valido: "
            "per PostgreSQL usa postgresql+psycopg://utente:password@server/database.",
        )
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        # make_engine (like SQLite itself) would create a missing file: a health check
        # must not leave an empty database behind.
        if path and path != ":memory:" and not Path(path).exists():
            return Check(
                CheckName.DATABASE,
                False,
                f"Database non trovato ({masked}): esegui `appio init` per crearlo, "
                "o correggi APPIO_DATABASE_URL / APPIO_DATA_DIR.",
            )
        return make_engine(url)
    return make_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


def _migrations(conn: Connection) -> tuple[Check, bool]:
    """The check, and whether the tables are there to check the keys (a database behind on
    migrations has the services table of the first one)."""
    try:
        pending = pending_revisions(conn)
    except UnknownRevision as exc:
        check = Check(
            CheckName.MIGRATIONS,
            False,
            f"Il database è alla revisione {exc.revision}, che questa versione di IO Flussi "
            "non conosce: è stato aggiornato da una versione più recente. Installa quella "
            "versione (o ripristina il backup fatto prima dell'aggiornamento).",
        )
        return check, True
    if pending is None:
        check = Check(
            CheckName.MIGRATIONS,
            False,
            "Database vuoto (nessuna migrazione applicata): esegui `appio init`.",
        )
        return check, False
    if pending:
        count = len(pending)
        word = "migrazione" if count == 1 else "migrazioni"
        check = Check(
            CheckName.MIGRATIONS,
            False,
            f"Database indietro di {count} {word}: esegui `appio init`.",
        )
        return check, True
    return Check(CheckName.MIGRATIONS, True, "Migrazioni del database aggiornate."), True


def _service_keys(conn: Connection, secret_key: str) -> Check:
    try:
        box = KeyBox(secret_key)
    except ValueError:
        return Check(
            CheckName.KEYS,
            False,
            "APPIO_SECRET_KEY non è una chiave valida (servono 44 caratteri, generati con "
            "«appio keys generate»): ripristina la chiave dal backup.",
        )
    # Only columns of the first migration: the check must work on a database behind.
    rows = conn.execute(
        select(
            Service.name, Service.primary_key_encrypted, Service.secondary_key_encrypted
        ).order_by(Service.name)
    ).all()
    unreadable = [name for name, primary, secondary in rows if not _opens(box, primary, secondary)]
    if unreadable:
        which = "servizio" if len(unreadable) == 1 else "servizi"
        return Check(
            CheckName.KEYS,
            False,
            f"La chiave segreta non decifra le chiavi di {len(unreadable)} {which} su "
            f"{len(rows)} ({', '.join(unreadable)}): APPIO_SECRET_KEY non è quella con cui "
            "sono state salvate. Ripristina la chiave dal backup, oppure inserisci di nuovo "
            "le chiavi di quei servizi.",
        )
    if not rows:
        return Check(
            CheckName.KEYS, True, "Nessun servizio configurato: nessuna chiave da decifrare."
        )
    return Check(
        CheckName.KEYS,
        True,
        f"La chiave segreta decifra le chiavi di tutti i servizi ({len(rows)}).",
    )


def _opens(box: KeyBox, *sealed: str | None) -> bool:
    try:
        for value in sealed:
            if value:
                box.open(value)
    except KeyUnreadable:
        return False
    return True


def _io(conn: Connection, settings: Settings) -> Check:
    # Imported here: the HTTP stack costs a few hundred ms that the plain check (run by the
    # container's HEALTHCHECK every minute) does not need.
    from appio_core.accounts.connection_check import check_connection
    from appio_core.accounts.io_access import make_io_client
    from appio_core.io.budget_pacing import shared_budget
    from appio_core.io.models import ApiKeys

    row = conn.execute(
        select(
            Service.name,
            Service.primary_key_encrypted,
            Service.secondary_key_encrypted,
            IoAccount.id,
            IoAccount.rate_limit_requests,
            IoAccount.rate_limit_window_seconds,
        )
        .join(IoAccount, Service.account_id == IoAccount.id)
        .where(Service.active.is_(True))
        .order_by(Service.id)
        .limit(1)
    ).first()
    if row is None:
        return Check(
            CheckName.IO,
            False,
            "Nessun servizio attivo: impossibile verificare IO. Aggiungi un servizio con la "
            "sua chiave (`appio service add` o la pagina Servizi).",
        )
    name, primary, secondary, account_id, requests, window = row
    try:
        box = KeyBox(settings.secret_key)
        keys = ApiKeys(box.open(primary), box.open(secondary) if secondary else None)
    except (ValueError, KeyUnreadable):  # a secret key that is not one; one that does not fit
        return Check(
            CheckName.IO,
            False,
            f"IO non verificato: le chiavi del servizio «{name}» non si decifrano "
            "(vedi il controllo delle chiavi).",
        )

    async def run() -> Check:
        # Booked on the account's budget like any call outside the worker.
        budget = shared_budget(conn.engine, account_id, requests, float(window))
        client = make_io_client(settings.io_base_url, budget)
        try:
            result = await check_connection(client, keys)
        finally:
            await client.aclose()
        prefix = "IO risponde" if result.ok else "IO"
        return Check(CheckName.IO, result.ok, f"{prefix} (servizio «{name}»): {result.message}")

    return asyncio.run(run())


def masked_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(indirizzo non valido)"


def _reason(exc: SQLAlchemyError, url: str) -> str:
    """The driver's own words, on one line, without the password."""
    original = getattr(exc, "orig", None) or exc
    reason = " ".join(line.strip() for line in str(original).splitlines() if line.strip())
    password = make_url(url).password
    if password:
        for form in {str(password), quote_plus(str(password))}:
            reason = reason.replace(form, "***")
    return reason
