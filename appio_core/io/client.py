"""The App IO client: profile check, send, message status.

Only the current path forms are used (`POST /profiles`, `POST /messages` with the fiscal
code in the body, `GET /messages/{fiscal_code}/{id}`); the forms with the fiscal code in
the path are being deprecated by PagoPA.

What the client retries by itself, and why it is safe:
- a 429 (IO did not process the request), paced by the account's limiter, up to a cap;
- a 401 on one key, once with the other key (both are valid during a key rotation);
- profile checks and status reads on retryable failures (they change nothing on IO).
A send that may have reached IO raises `IoOutcomeUnknown` and is never repeated here:
a message cannot be recalled, and the caller must decide how to find out what happened.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from appio_core.config import SIMULATOR_BASE_URL
from appio_core.domain import FeatureLevel
from appio_core.io.errors import (
    AmountAboveMaximum,
    BadRequest,
    Forbidden,
    IoError,
    IoOutcomeUnknown,
    IoRetryableError,
    KeyRefused,
    MessageNotFound,
    MissingPermission,
    NetworkError,
    ProfileNotFound,
    RateLimited,
    RecipientForbidden,
    ServiceUnavailable,
    UnexpectedResponse,
)
from appio_core.io.groups import Operation, amount_above_maximum, missing_grant
from appio_core.io.http import SIMULATOR_ORIGIN, Answer, IoHttp, TransportFailure, as_io_http
from appio_core.io.models import (
    ApiKeys,
    MessageStatus,
    MessageStatusValue,
    NewMessage,
    NotificationStatus,
    PaymentStatus,
    Profile,
    ReadStatus,
)
from appio_core.io.rate_limit import Pacer
from appio_core.io.tally import RequestTally

log = logging.getLogger(__name__)

KEY_HEADER = "Ocp-Apim-Subscription-Key"
SIMULATOR_API_URL = f"{SIMULATOR_ORIGIN}/api/v1"

# Priorities for the account's limiter: sends first, background reads after.
PRIORITY_SEND = 0
PRIORITY_PROFILE = 0
PRIORITY_STATUS = 1

T = TypeVar("T")


def resolve_base_url(base_url: str) -> str:
    base_url = base_url.rstrip("/")
    return SIMULATOR_API_URL if base_url == SIMULATOR_BASE_URL else base_url


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries before giving the failure to its caller."""

    read_attempts: int = 3  # profile checks and status reads, on retryable failures
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_throttled: int = 8  # 429s absorbed per call before raising RateLimited

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        base = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return base * (0.5 + 0.5 * rng())


class IoClient:
    def __init__(
        self,
        base_url: str,
        http: IoHttp | httpx.AsyncClient,
        limiter: Pacer | None = None,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        tally: RequestTally | None = None,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        # Every answer IO gave (429s included), for the account's request rate.
        self.tally = tally
        self.http = as_io_http(http)
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng
        # Primary keys that IO refused while the secondary worked: go straight to the
        # secondary next time instead of spending two requests of the budget per call.
        self._use_secondary: set[str] = set()

    def _url(self, path: str) -> str:
        return self.base_url + path

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- operations ----------------------------------------------------------------

    async def get_profile(self, keys: ApiKeys, fiscal_code: str) -> Profile:
        async def once() -> Profile:
            try:
                response = await self._exchange(
                    keys, "POST", "/profiles", {"fiscal_code": fiscal_code}, PRIORITY_PROFILE
                )
            except TransportFailure as exc:
                raise NetworkError(exc.detail) from exc
            if response.status_code != 200:
                raise _error_for(
                    response, Operation.PROFILE, not_found=ProfileNotFound, unsure=False
                )
            body = _json(response)
            if not isinstance(body, dict) or not isinstance(body.get("sender_allowed"), bool):
                raise UnexpectedResponse(200, "profile without sender_allowed")
            languages = body.get("preferred_languages") or []
            return Profile(
                sender_allowed=body["sender_allowed"],
                preferred_languages=tuple(str(lang) for lang in languages),
            )

        return await self._read(once)

    async def send_message(self, keys: ApiKeys, message: NewMessage) -> str:
        """Submit one message; returns IO's message id. Never retried once it may have
        reached IO (see IoOutcomeUnknown)."""
        try:
            response = await self._exchange(
                keys, "POST", "/messages", message.to_json(), PRIORITY_SEND
            )
        except TransportFailure as exc:
            if exc.surely_not_sent:
                raise NetworkError(exc.detail) from exc
            raise IoOutcomeUnknown(detail=exc.detail) from exc
        if response.status_code != 201:
            raise _error_for(response, Operation.SEND, not_found=None, unsure=True)
        body = _json(response)
        message_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(message_id, str) or not message_id:
            # Created for sure, but without its id we cannot follow it: the Location
            # header carries it too.
            message_id = response.headers.get("location", "").rstrip("/").rpartition("/")[2]
        if not message_id:
            raise IoOutcomeUnknown(201, "created without an id")
        return message_id

    async def get_message_status(
        self, keys: ApiKeys, fiscal_code: str, message_id: str
    ) -> MessageStatus:
        path = f"/messages/{quote(fiscal_code, safe='')}/{quote(message_id, safe='')}"

        async def once() -> MessageStatus:
            try:
                response = await self._exchange(keys, "GET", path, None, PRIORITY_STATUS)
            except TransportFailure as exc:
                raise NetworkError(exc.detail) from exc
            if response.status_code != 200:
                raise _error_for(
                    response, Operation.STATUS, not_found=MessageNotFound, unsure=False
                )
            return _message_status(response, message_id)

        return await self._read(once)

    # -- plumbing ------------------------------------------------------------------

    async def _read(self, once: Callable[[], Awaitable[T]]) -> T:
        attempt = 1
        while True:
            try:
                return await once()
            except RateLimited:
                raise  # already retried up to the cap inside _exchange
            except IoRetryableError as exc:
                if attempt >= self.retry.read_attempts:
                    raise
                wait = exc.retry_after or self.retry.backoff(attempt, self._rng)
                log.info("IO read failed (%s), retrying in %.1f s", exc.code, wait)
                await self._sleep(wait)
                attempt += 1

    async def _exchange(
        self,
        keys: ApiKeys,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        priority: int,
    ) -> Answer:
        """One logical request: paced by the limiter, 429s absorbed up to the cap, the
        other key tried once on 401. Transport failures propagate (TransportFailure)."""
        order = [keys.primary] + ([keys.secondary] if keys.secondary else [])
        if keys.primary in self._use_secondary and keys.secondary:
            order.reverse()
        key_index = 0
        throttled = 0
        while True:
            if self.limiter is not None:
                await self.limiter.acquire(priority)
            response = await self.http.request(
                method, self._url(path), body, {KEY_HEADER: order[key_index]}
            )
            if self.tally is not None:
                self.tally.count(response.status_code)
            if response.status_code == 429:
                throttled += 1
                retry_after = _seconds(response.headers.get("x-rate-limit-retry-after"))
                if throttled > self.retry.max_throttled:
                    raise RateLimited(retry_after, _gateway_message(response))
                if self.limiter is not None:
                    # The limiter pauses every caller of the account; acquire() waits.
                    self.limiter.on_throttled(response.headers)
                else:
                    backoff = self.retry.backoff(throttled, self._rng)
                    await self._sleep(max(retry_after or 0.0, backoff))
                continue
            if self.limiter is not None:
                self.limiter.on_response(response.headers)
            if response.status_code == 401 and key_index + 1 < len(order):
                key_index += 1
                continue
            if response.status_code != 401 and keys.secondary:
                if order[key_index] == keys.secondary:
                    self._use_secondary.add(keys.primary)
                else:
                    self._use_secondary.discard(keys.primary)
            return response


def _json(response: Answer) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None


def _gateway_message(response: Answer) -> str | None:
    body = _json(response)
    if isinstance(body, dict):
        message = body.get("message") or body.get("detail")
        return str(message) if message else None
    return None


def _problem(response: Answer) -> tuple[str | None, str | None]:
    body = _json(response)
    if not isinstance(body, dict):
        return None, response.text[:200] or None
    title = body.get("title")
    detail = body.get("detail") or body.get("message")
    return (str(title) if title else None), (str(detail) if detail else None)


def _error_for(
    response: Answer,
    operation: Operation,
    *,
    not_found: type[ProfileNotFound] | type[MessageNotFound] | None,
    unsure: bool,
) -> IoError:
    """The typed failure of a non-success answer. `unsure` marks a send, for which a
    server error may mean the message was created before the failure."""
    status = response.status_code
    title, detail = _problem(response)
    if status == 400:
        above = amount_above_maximum(detail)
        if above is not None:
            return AmountAboveMaximum(above, title, detail)
        return BadRequest(title, detail)
    if status == 401:
        return KeyRefused(detail)
    if status == 403:
        if "recipient forbidden" in f"{title} {detail}".lower():
            return RecipientForbidden(title, detail)
        grant = missing_grant(operation, title, detail)
        if grant is not None:
            return MissingPermission(grant.explanation, grant.group, title, detail)
        return Forbidden(title, detail)
    if status == 404 and not_found is not None:
        return not_found(title, detail)
    if status == 503 or (status >= 500 and not unsure):
        return ServiceUnavailable(status, detail, _seconds(response.headers.get("retry-after")))
    if status >= 500:
        return IoOutcomeUnknown(status, detail)
    return UnexpectedResponse(status, detail)


def _enum(kind: type[Any], value: object) -> Any:
    # IO's enums are "extensible": an unknown value is shown as unknown, not a crash.
    try:
        return kind(value) if value is not None else None
    except ValueError:
        log.warning("Unknown %s from IO: %r", kind.__name__, value)
        return None


def _message_status(response: Answer, message_id: str) -> MessageStatus:
    body = _json(response)
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        raise UnexpectedResponse(200, "message status without message")
    message: Mapping[str, Any] = body["message"]
    # IO answers ACCEPTED also before its processing has written any status at all.
    status = _enum(MessageStatusValue, body.get("status") or "ACCEPTED")
    if status is None:
        raise UnexpectedResponse(200, f"unknown message status {body.get('status')!r}")
    notification = body.get("notification")
    email = notification.get("email") if isinstance(notification, dict) else None
    return MessageStatus(
        message_id=str(message.get("id") or message_id),
        status=status,
        feature_level_type=str(message.get("feature_level_type") or FeatureLevel.STANDARD),
        created_at=message.get("created_at"),
        email_notification=_enum(NotificationStatus, email),
        read_status=_enum(ReadStatus, body.get("read_status")),
        payment_status=_enum(PaymentStatus, body.get("payment_status")),
    )
