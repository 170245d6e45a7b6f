"""Process-wide resources for the Streamlit app: settings, database sessions, key box."""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.config import ConfigError, Settings, load_settings
from appio_core.sending.worker import BackgroundWorker
from appio_core.storage.db import make_engine, make_sessionmaker, session_scope


def _copy_secrets_to_environment() -> None:
    """Top-level APPIO_* entries of .streamlit/secrets.toml act as environment variables."""
    try:
        items = dict(st.secrets)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return
    for name, value in items.items():
        if name.startswith("APPIO_") and isinstance(value, str | int | bool):
            os.environ.setdefault(name, str(value))


def check_settings() -> None:
    """At start: a setting that cannot work (no secret key, IO over http...) is said in
    Italian on the page, instead of a traceback at the first click."""
    try:
        settings()
    except ConfigError as exc:
        st.error(f"Configurazione da correggere: {exc.message}", icon=":material/settings:")
        st.stop()


def settings() -> Settings:
    _copy_secrets_to_environment()
    return load_settings()


@st.cache_resource(show_spinner=False)
def _sessionmaker(database_url: str) -> sessionmaker[Session]:
    # One engine (and pool) per database per process, shared by every browser session.
    return make_sessionmaker(make_engine(database_url))


def sessionmaker_() -> sessionmaker[Session]:
    """For core actions that commit in steps of their own (sending a single message)."""
    return _sessionmaker(settings().database_url)


@contextmanager
def transaction() -> Iterator[Session]:
    """One page action's transaction: committed when the block ends without error."""
    with session_scope(_sessionmaker(settings().database_url)) as session:
        yield session


@st.cache_resource(show_spinner=False)
def _keybox(secret_key: str) -> KeyBox:
    return KeyBox(secret_key)


def keybox() -> KeyBox:
    return _keybox(settings().secret_key)


@st.cache_resource(show_spinner=False)
def _background_worker(database_url: str) -> BackgroundWorker | None:
    current = settings()
    if not current.start_worker:
        return None
    # One dispatcher per process, whatever the number of browser sessions.
    return BackgroundWorker(current).start()


def ensure_background_worker() -> None:
    """Starts the in-process worker once (on by default with SQLite: APPIO_START_WORKER)."""
    _background_worker(settings().database_url)


@functools.cache
def freeze_imported_objects() -> None:
    """Streamlit collects garbage after every script run (`runner.postScriptGC`): a full
    collection of the process's ~250,000 objects, 60-130 ms with the GIL held, during which
    the server answers no one (it held back the grids' first rows: bench/RESULTS-archive.md).
    What the imports made lives as long as the process: moved once out of the collector's
    sight (gc.freeze), the collection after each run looks only at what the runs made."""
    gc.collect()
    gc.freeze()
