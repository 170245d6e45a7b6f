"""Running the dispatcher: as `appio worker`, inside `flow send --wait`, or in the
Streamlit process as one background thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyBox
from appio_core.config import Settings
from appio_core.notifications.retention import Retention
from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig
from appio_core.storage.db import make_engine, make_sessionmaker
from appio_core.webhooks.config import WebhookConfig

log = logging.getLogger(__name__)


def make_dispatcher(
    settings: Settings, sessions: sessionmaker[Session] | None = None
) -> Dispatcher:
    sessions = sessions or make_sessionmaker(make_engine(settings.database_url))
    return Dispatcher(
        sessions,
        KeyBox(settings.secret_key),
        settings.io_base_url,
        DispatcherConfig.from_env(),
        # The daily purge of personal data (APPIO_RETENTION_DAYS; 0: none).
        retention=Retention(settings.retention_days, settings.secret_key),
        webhooks=WebhookConfig.from_env(),
    )


def run_worker(
    settings: Settings,
    *,
    once: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    sessions: sessionmaker[Session] | None = None,
) -> None:
    dispatcher = make_dispatcher(settings, sessions)
    log.info("worker %s started", dispatcher.worker_id)
    asyncio.run(dispatcher.run(should_stop, once=once))


class BackgroundWorker:
    """The dispatcher on a daemon thread of its own event loop (the Streamlit process)."""

    def __init__(self, settings: Settings) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(settings,), name="appio-worker", daemon=True
        )

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self, settings: Settings) -> None:
        # A crash of one round must not end sending for the whole process: log and go on.
        while not self._stop.is_set():
            try:
                run_worker(settings, should_stop=self._stop.is_set)
            except Exception:
                log.exception("the background worker failed; restarting in 5 s")
                self._stop.wait(5)
