"""Alembic, driven from code: `appio init` and the tests run the real migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


class UnknownRevision(Exception):
    """The database is at a revision that these migrations do not contain."""

    def __init__(self, revision: str) -> None:
        super().__init__(revision)
        self.revision = revision


def pending_revisions(connection: Connection) -> list[str] | None:
    """The revisions `upgrade` would apply to this database, newest first.

    None when the database has no Alembic revision at all (never migrated). Raises
    UnknownRevision when it is at a revision these migrations lack: a newer release of
    the code migrated it."""
    # The script directory needs no URL: only the revision files are read.
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    current = MigrationContext.configure(connection).get_current_heads()
    if not current:
        return None
    for revision in current:
        try:
            script.get_revision(revision)
        except CommandError:
            raise UnknownRevision(revision) from None
    return [rev.revision for rev in script.iterate_revisions("heads", current)]
