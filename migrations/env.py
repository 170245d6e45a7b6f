"""Alembic environment: the models' metadata, the URL from the config or APPIO_DATABASE_URL."""

from __future__ import annotations

from alembic import context

import appio_core.audit.models  # (its table, on the same Base)
import appio_core.integrations.models  # (the API's keys)
import appio_core.notifications.stats.models  # (the «Cruscotto»'s summaries)
import appio_core.storage.runtime_models  # (sign-ins, the manage key, the workers' tables)
import appio_core.templates.models  # (theirs too)
import appio_core.webhooks.models  # noqa: F401  (the integrations' webhook events)
from appio_core.config import load_settings
from appio_core.storage.db import make_engine
from appio_core.storage.models import Base
from appio_core.storage.subject_search import include_name

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, include_name=include_name
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            # The subject search's FTS table and trigram index are the migrations' own.
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
