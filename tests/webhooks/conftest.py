"""Webhook fixtures: the demo services, an integration whose URL is a real HTTP receiver
on a free port (it verifies every signature with `standardwebhooks`), rows an integration
created, and a worker's delivery run on a clock the test moves."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.domain import FlowState, Outcome
from appio_core.integrations.keys import CreatedIntegration, NewIntegration, create_integration
from appio_core.storage.models import Flow, IoAccount, Notification, Service, utcnow
from appio_core.webhooks.config import WebhookConfig
from appio_core.webhooks.delivery import WebhookSender
from appio_core.webhooks.models import WebhookEvent

TARI = "Tributi"


@dataclass
class Delivery:
    webhook_id: str
    verified: bool
    status: int
    body: dict[str, Any]


@dataclass
class Receiver:
    """An integrator's endpoint: answers `status` after `delay` seconds, or is down."""

    port: int
    secret: str = ""
    status: int = 204
    delay: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["content-length"]))
                try:
                    Webhook(receiver.secret).verify(raw, dict(self.headers.items()))
                    verified = True
                except WebhookVerificationError:
                    verified = False
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status if verified else 400
                receiver.deliveries.append(
                    Delivery(self.headers["webhook-id"], verified, status, json.loads(raw))
                )
                try:
                    self.send_response(status)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted_ids(self) -> list[str]:
        return [d.webhook_id for d in self.deliveries if 200 <= d.status < 300]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(free_port())
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def services(sessions: sessionmaker[Session]) -> dict[str, int]:
    """One service (no demo seed: its operators' passwords cost seconds a test)."""
    with sessions.begin() as session:
        account = IoAccount(name="Comune")
        service = Service(
            name=TARI, io_service_id="S-TARI", primary_key_encrypted="x", primary_key_last4="abcd",
            account=account,
        )  # fmt: skip
        session.add(service)
        session.flush()
        return {TARI: service.id}


@pytest.fixture
def make_integration(
    services: dict[str, int],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
) -> Callable[..., CreatedIntegration]:
    def make(name: str = "Tributi", webhook_url: str | None = None) -> CreatedIntegration:
        data = NewIntegration(name, (services[TARI],), webhook_url=webhook_url)
        with sessions.begin() as session:
            return create_integration(session, Actor.system(), data, keybox)

    return make


@pytest.fixture
def integration(
    make_integration: Callable[..., CreatedIntegration], receiver: Receiver
) -> CreatedIntegration:
    created = make_integration(webhook_url=receiver.url)
    assert created.webhook_secret is not None
    receiver.secret = created.webhook_secret
    return created


def add_notification(
    sessions: sessionmaker[Session], service_id: int, integration_id: int | None, **values: Any
) -> int:
    with sessions.begin() as session:
        row = Notification(
            service_id=service_id, created_by="api", fiscal_code="RSSMRA80A01H501U",
            subject="Promemoria TARI", markdown="x" * 80, integration_id=integration_id,
            **{"outcome": Outcome.PENDING, **values},
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def change_notification(sessions: sessionmaker[Session], row_id: int, **values: Any) -> None:
    with sessions.begin() as session:
        row = session.get(Notification, row_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


def add_flow(sessions: sessionmaker[Session], service_id: int, integration_id: int | None) -> int:
    with sessions.begin() as session:
        flow = Flow(
            name="TARI 2026", natura="Comunicazione", service_id=service_id, created_by="api",
            state=FlowState.INACTIVE, source_filename="f.csv", source_checksum="c" * 64,
            integration_id=integration_id,
        )  # fmt: skip
        session.add(flow)
        session.flush()
        return flow.id


def events(sessions: sessionmaker[Session]) -> list[WebhookEvent]:
    with sessions() as session:
        return list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


Deliver = Callable[..., list[int]]


@pytest.fixture
def deliver(sessions: sessionmaker[Session], keybox: KeyBox, clock: Clock) -> Deliver:
    """Runs `rounds` delivery rounds of a worker (each one batch); how many each attempted."""

    def run(rounds: int = 1, worker: str = "w1", timeout: float = 5.0) -> list[int]:
        async def go() -> list[int]:
            config = WebhookConfig(timeout_seconds=timeout, idle_seconds=0.01)
            sender = WebhookSender(sessions, keybox, worker, config, clock=clock)
            try:
                return [await sender.deliver_due() for _ in range(rounds)]
            finally:
                await sender.close()

        return asyncio.run(go())

    return run
