"""The workers' delivery of the webhook events, at least once.

- **Claimed with a lease.** A worker leases a batch of due events (SKIP LOCKED on
  PostgreSQL, store.py) and posts them all at once. A worker that dies mid-delivery holds
  them only until the lease ends; then another delivers them, with the same
  `webhook-id`: a receiver drops what it already has.
- **Bounded.** Each post is cut at `timeout_seconds` (10 s), whatever the receiver does
  (silent, slow, trickling bytes), so a batch lasts at most that long and a receiver down,
  slow or answering 500 costs retries, never a stuck worker. The delivery runs beside the
  sending, on the same event loop: it never holds a send up.
- **Retried** with a growing delay (config.py) for 24 hours from the event, then
  «fallito»: the integration's page offers «Reinvia» (log.py).
- **Signed** by the Standard Webhooks specification with the integration's secret:
  `webhook-id`, `webhook-timestamp` (the attempt's time, which receivers check for
  freshness), `webhook-signature` (v1, HMAC-SHA256 of «id.timestamp.body»). The body is
  `{"type", "timestamp" (the change's time, ISO 8601 UTC), "data"}`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook

from appio_core.accounts.security import KeyBox, KeyUnreadable
from appio_core.integrations.keys import webhook_secret
from appio_core.storage.db import session_scope
from appio_core.storage.models import utcnow

from . import store
from .config import WebhookConfig, next_attempt
from .store import Due

log = logging.getLogger(__name__)

USER_AGENT = "IO-Flussi-webhook/1"
NOT_RECEIVING = "L'integrazione è revocata o non ha più un indirizzo webhook."
SECRET_UNREADABLE = (
    "Il segreto del webhook non si può decifrare: la chiave segreta dell'installazione è"
    " cambiata. Crea di nuovo l'integrazione."
)
PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class Attempt:
    status: int | None  # the receiver's HTTP status, when it answered
    error: str | None  # None: delivered (2xx)

    @property
    def ok(self) -> bool:
        return self.error is None


def body_of(event: Due) -> str:
    """The JSON posted, signed byte for byte."""
    payload = {
        "type": event.type.value,
        "timestamp": event.created_at.astimezone(UTC).isoformat(timespec="milliseconds"),
        "data": json.loads(event.data),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def signed_headers(secret: str, event_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
    }


class WebhookSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        box: KeyBox,
        worker_id: str,
        config: WebhookConfig | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.sessions = sessions
        self.config = config or WebhookConfig()
        self.worker_id = worker_id
        self._box = box
        self._clock = clock
        self._own_http = http is None
        # Redirects are not followed: a receiver answers where it was registered.
        self.http = http or httpx.AsyncClient(timeout=self.config.timeout_seconds)
        self._next_prune = 0.0

    async def run(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Batch after batch until `should_stop()`; a failure is logged, never fatal."""
        loop = asyncio.get_running_loop()
        while not should_stop():
            done = 0
            try:
                done = await self.deliver_due()
                if loop.time() >= self._next_prune:
                    self._next_prune = loop.time() + PRUNE_EVERY_SECONDS
                    self.prune()
            except Exception:
                log.exception("the delivery of webhooks failed; trying again")
            if done < self.config.batch_size:
                await asyncio.sleep(self.config.idle_seconds)

    async def close(self) -> None:
        if self._own_http:
            await self.http.aclose()

    async def deliver_due(self) -> int:
        """One batch of due events, posted at once; how many were attempted."""
        now = self._clock()
        with session_scope(self.sessions) as session:
            if not store.any_due(session, now):
                return 0
            claimed = store.claim(
                session, self.worker_id, now, now + self.config.lease, self.config.batch_size
            )
            targets = self._targets(session, {e.integration_id for e in claimed})
        if not claimed:
            return 0
        try:
            attempts = await asyncio.gather(*(self._attempt(e, targets) for e in claimed))
        except asyncio.CancelledError:
            # A stopping worker: its events are due again now, not at the lease's end.
            with session_scope(self.sessions) as session:
                store.release(session, self.worker_id, [e.id for e in claimed])
            raise
        self._record(claimed, attempts)
        return len(claimed)

    def _targets(
        self, session: Session, integration_ids: set[int]
    ) -> dict[int, tuple[str, str] | str]:
        """Each integration's URL and secret, or why its events cannot go out."""
        urls = store.urls(session, integration_ids)
        found: dict[int, tuple[str, str] | str] = {}
        for integration_id in integration_ids:
            url = urls.get(integration_id)
            if url is None:
                found[integration_id] = NOT_RECEIVING
                continue
            try:
                secret = webhook_secret(session, integration_id, self._box)
            except KeyUnreadable:
                found[integration_id] = SECRET_UNREADABLE
                continue
            found[integration_id] = (url, secret) if secret else NOT_RECEIVING
        return found

    async def _attempt(self, event: Due, targets: dict[int, tuple[str, str] | str]) -> Attempt:
        target = targets[event.integration_id]
        if isinstance(target, str):
            return Attempt(None, target)
        url, secret = target
        body = body_of(event)
        # The signature's time is the attempt's (receivers refuse stale ones), the wall
        # clock's whatever clock schedules the attempts.
        headers = signed_headers(secret, event.event_id, body, datetime.now(UTC))
        seconds = self.config.timeout_seconds
        try:
            async with asyncio.timeout(seconds):
                answer = await self.http.post(url, content=body.encode(), headers=headers)
        except (TimeoutError, httpx.TimeoutException):
            number = f"{seconds:g}".replace(".", ",")
            return Attempt(None, f"Nessuna risposta entro {number} secondi.")
        except httpx.HTTPError as exc:
            return Attempt(None, f"Connessione al ricevente non riuscita ({type(exc).__name__}).")
        if 200 <= answer.status_code < 300:
            return Attempt(answer.status_code, None)
        return Attempt(answer.status_code, f"Il ricevente ha risposto {answer.status_code}.")

    def _record(self, claimed: list[Due], attempts: list[Attempt]) -> None:
        now = self._clock()
        delivered = {
            e.id: a.status for e, a in zip(claimed, attempts, strict=True) if a.status and a.ok
        }
        with session_scope(self.sessions) as session:
            store.record_delivered(session, delivered, now)
            for event, attempt in zip(claimed, attempts, strict=True):
                if attempt.error is None:
                    continue
                since = event.redelivered_at or event.created_at
                retry_at = next_attempt(event.attempts + 1, now, since, self.config.retry_for)
                kept = store.record_failed(
                    session, event.id, self.worker_id, attempt.status, attempt.error, now,
                    retry_at,
                )  # fmt: skip
                if not kept:
                    log.info("webhook %s: taken over by another worker meanwhile", event.event_id)
                elif retry_at is None:
                    log.warning("webhook %s failed for good: %s", event.event_id, attempt.error)

    def prune(self) -> None:
        with session_scope(self.sessions) as session:
            store.prune(session, self._clock() - self.config.keep_for)
