"""The IO simulator as a plain ASGI app.

Plain ASGI rather than Starlette: with the rate limit off it must serve thousands of
requests per second, and the three routes of IO do not need a framework's routing
(bench/bench_simulator.py measures it).

The order of the checks follows IO: the gateway matches the route, then the
subscription key (401), then the account's rate limit (429); the API then validates
the body (400) and the recipient (403) before doing anything.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
from ulid import ULID

from appio_core.domain import FeatureLevel
from appio_core.errors import AppError
from appio_core.io.models import MessageStatusValue
from appio_core.io.simulator import validation
from appio_core.io.simulator.config import Faults, SimService, SimulatorConfig
from appio_core.io.simulator.population import Kind, Population
from appio_core.io.simulator.ratelimit import SlidingWindow
from appio_core.io.simulator.record import Record, RequestEntry, StoredMessage

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

API_PREFIX = "/api/v1"
ADMIN_PREFIX = "/__simulator"
KEY_HEADER = b"ocp-apim-subscription-key"
JSON = b"application/json"
PROBLEM_JSON = b"application/problem+json"

GATEWAY_401 = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)
NOT_ALLOWED = (
    "You are not allowed here",
    "You do not have enough permission to complete the operation you requested",
)
RECIPIENT_FORBIDDEN = (
    "Recipient forbidden",
    "You are not allowed to issue requests for the recipient.",
)


@dataclass
class Answer:
    status: int
    body: Any = None
    content_type: bytes = JSON
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    fiscal_code: str | None = None
    message_id: str | None = None


def problem(status: int, title: str, detail: str) -> Answer:
    return Answer(status, {"title": title, "status": status, "detail": detail}, PROBLEM_JSON)


def _utc_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class SimulatorApp:
    def __init__(
        self, config: SimulatorConfig, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self.faults = config.faults
        self.rate_limit = config.rate_limit
        self.record = Record()
        self.population = Population(
            config.seed, config.no_io_share, config.blocked_share, config.email_share
        )
        self._clock = clock
        self._rng = random.Random(config.seed)
        self._sequence = 0
        self._keys: dict[str, tuple[SimService, str]] = {}
        for service in config.services:
            self._keys[service.primary_key] = (service, "primary")
            self._keys[service.secondary_key] = (service, "secondary")
        self._windows: dict[str, SlidingWindow] = {}
        for service in config.services:
            account = config.account(service.account)
            if account.requests > 0 and account.name not in self._windows:
                self._windows[account.name] = SlidingWindow(account.requests, account.window)

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults

    def service(self, service_id: str) -> SimService:
        return next(s for s in self.config.services if s.service_id == service_id)

    # -- ASGI ----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX):
            await _respond(send, self._admin(scope["method"], path, scope, body))
            return
        await self._api(scope, body, send)

    async def _api(self, scope: Scope, body: bytes, send: Send) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        route = _route(method, path)
        if route is None:
            await _respond(send, Answer(404, {"statusCode": 404, "message": "Resource not found"}))
            return
        operation, params = route
        key = None
        for name, value in scope["headers"]:
            if name == KEY_HEADER:
                key = value.decode("latin-1")
                break
        found = self._keys.get(key) if key else None
        if found is None:
            self._log(method, path, operation, None, None, 401)
            await _respond(send, Answer(401, {"statusCode": 401, "message": GATEWAY_401}))
            return
        service, key_kind = found
        remaining: int | None = None
        window = self._windows.get(service.account) if self.rate_limit else None
        if window is not None:
            allowed, remaining, retry_after = window.hit(self._clock())
            if not allowed:
                self._log(method, path, operation, service.service_id, key_kind, 429)
                answer = Answer(
                    429,
                    {
                        "statusCode": 429,
                        "message": f"Rate limit is exceeded. Try again in {retry_after} seconds.",
                    },
                    headers=[(b"x-rate-limit-retry-after", str(retry_after).encode())],
                )
                await _respond(send, answer)
                return

        fault = self._draw_fault()
        if self.faults.latency > 0 or self.faults.latency_jitter > 0:
            # Jitter makes answers overtake each other, as they do on the Internet.
            jitter = self.faults.latency_jitter * self._rng.random()
            await asyncio.sleep(self.faults.latency + jitter)
        if fault == "503":
            answer = Answer(503, {"statusCode": 503, "message": "Service Unavailable"})
        elif fault is not None and (
            operation != "submitMessageforUserWithFiscalCodeInBody"
            or self._rng.random() >= self.faults.created_share
        ):
            # Failed before doing anything.
            answer = problem(500, "Internal server error", "Simulated failure")
        else:
            answer = self._handle(operation, params, service, body)
        if remaining is not None:
            answer.headers.append((b"x-rate-limit-remaining", str(remaining).encode()))
        status = 500 if fault in ("500", "timeout", "drop") else answer.status
        self._log(
            method,
            path,
            operation,
            service.service_id,
            key_kind,
            status,
            fault,
            answer.fiscal_code,
            answer.message_id,
        )
        if fault in ("500", "timeout", "drop") and answer.status != 500:
            # The work is done (a send may have created its message); the answer is lost.
            answer = problem(500, "Internal server error", "Simulated failure")
        if fault == "timeout":
            if not self.config.served:
                # In-process there is no socket to time out on: raise what httpx would.
                raise httpx.ReadTimeout("Simulated timeout")
            await asyncio.sleep(self.faults.timeout_seconds)
        elif fault == "drop":
            if not self.config.served:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            await _drop(send)
            return
        await _respond(send, answer)

    def _draw_fault(self) -> str | None:
        f = self.faults
        if not (f.error_500_rate or f.error_503_rate or f.timeout_rate or f.drop_rate):
            return None
        r = self._rng.random()
        for name, rate in (
            ("503", f.error_503_rate),
            ("500", f.error_500_rate),
            ("timeout", f.timeout_rate),
            ("drop", f.drop_rate),
        ):
            if r < rate:
                return name
            r -= rate
        return None

    def _log(
        self,
        method: str,
        path: str,
        operation: str,
        service_id: str | None,
        key: str | None,
        status: int,
        fault: str | None = None,
        fiscal_code: str | None = None,
        message_id: str | None = None,
    ) -> None:
        self.record.requests.append(
            RequestEntry(
                self._clock(),
                method,
                path,
                operation,
                service_id,
                key,
                status,
                fault,
                fiscal_code,
                message_id,
            )
        )

    # -- IO's operations -----------------------------------------------------------

    def _handle(
        self, operation: str, params: dict[str, str], service: SimService, body: bytes
    ) -> Answer:
        try:
            if operation in ("getProfileByPOST", "getProfile"):
                if operation == "getProfile":
                    fiscal_code = validation.fiscal_code(params["fiscal_code"])
                else:
                    fiscal_code = validation.profile_body(_decode(body))
                return self._profile(service, fiscal_code)
            if operation in ("submitMessageforUserWithFiscalCodeInBody", "submitMessageforUser"):
                path_cf = params.get("fiscal_code")
                if path_cf is not None:
                    validation.fiscal_code(path_cf)
                message = validation.new_message(_decode(body), path_cf, service.max_payment_amount)
                return self._submit(service, message)
            validation.fiscal_code(params["fiscal_code"])
            return self._status(service, params["fiscal_code"], params["id"])
        except validation.Invalid as exc:
            return problem(400, exc.title, exc.detail)

    def _profile(self, service: SimService, fiscal_code: str) -> Answer:
        if not service.may_reach(fiscal_code):
            return problem(403, *RECIPIENT_FORBIDDEN)
        citizen = self.population.citizen(fiscal_code)
        if not citizen.has_io:
            answer = problem(
                404, "Profile not found", "The profile you requested was not found in the system."
            )
        else:
            allowed = not self.population.blocked(fiscal_code, service.service_id)
            answer = Answer(
                200,
                {
                    "sender_allowed": allowed,
                    "preferred_languages": list(citizen.preferred_languages),
                },
            )
        answer.fiscal_code = fiscal_code
        return answer

    def _submit(self, service: SimService, message: dict[str, Any]) -> Answer:
        fiscal_code = message["fiscal_code"]
        if message["content"].get("payment_data", {}).get("payee") is not None:
            # Naming the payee needs a permission PagoPA grants to very few services.
            return problem(403, *NOT_ALLOWED)
        if not service.may_reach(fiscal_code):
            return problem(403, *RECIPIENT_FORBIDDEN)
        message_id = str(ULID())
        self._sequence += 1
        kind = self.population.kind(fiscal_code, service.service_id)
        self.record.messages[message_id] = StoredMessage(
            id=message_id,
            service_id=service.service_id,
            fiscal_code=fiscal_code,
            created_at=_utc_now(),
            accepted_at=self._clock(),
            feature_level_type=message["feature_level_type"],
            content=message["content"],
            time_to_live=message.get("time_to_live"),
            # IO accepts the message, then rejects it when the citizen has no IO or
            # blocked the service.
            sequence=self._sequence,
            final_status=(
                MessageStatusValue.PROCESSED
                if kind == Kind.WITH_IO
                else MessageStatusValue.REJECTED
            ),
        )
        location = f"{API_PREFIX}/messages/{fiscal_code}/{message_id}"
        return Answer(
            201,
            {"id": message_id},
            headers=[(b"location", location.encode())],
            fiscal_code=fiscal_code,
            message_id=message_id,
        )

    def _status(self, service: SimService, fiscal_code: str, message_id: str) -> Answer:
        stored = self.record.messages.get(message_id)
        if stored is None or stored.fiscal_code != fiscal_code:
            return problem(
                404, "Message not found", "The message you requested was not found in the system."
            )
        if stored.service_id != service.service_id:
            return problem(403, *NOT_ALLOWED)
        elapsed = self._clock() - stored.accepted_at
        delay = self.config.processing_delay
        status = stored.final_status if elapsed >= delay else MessageStatusValue.ACCEPTED
        settled = elapsed >= 2 * delay
        content = dict(stored.content)
        if "payment_data" in content:
            # IO fills in the payee with the sending organisation when it is left out.
            content["payment_data"] = {
                "payee": {"fiscal_code": self.service(stored.service_id).organization_fiscal_code},
                **content["payment_data"],
            }
        message: dict[str, Any] = {
            "id": stored.id,
            "fiscal_code": stored.fiscal_code,
            "created_at": stored.created_at,
            "content": content,
            "sender_service_id": stored.service_id,
            "feature_level_type": stored.feature_level_type,
        }
        if stored.time_to_live is not None:
            message["time_to_live"] = stored.time_to_live
        body: dict[str, Any] = {"message": message, "status": str(status)}
        processed = status == MessageStatusValue.PROCESSED
        if self.config.email_notifications and processed:
            citizen = self.population.citizen(fiscal_code)
            if citizen.email and not content.get("require_secure_channels"):
                body["notification"] = {"email": "SENT"}
        if stored.feature_level_type == FeatureLevel.ADVANCED:
            later = processed and settled
            draw = str(stored.sequence)
            if not processed:
                body["read_status"] = "UNAVAILABLE" if status != "ACCEPTED" else "UNREAD"
            else:
                read = later and self.population.unit(draw, "read") < self.config.read_share
                body["read_status"] = "READ" if read else "UNREAD"
            if "payment_data" in content:
                paid = later and self.population.unit(draw, "paid") < self.config.paid_share
                body["payment_status"] = "PAID" if paid else "NOT_PAID"
        return Answer(200, body, fiscal_code=fiscal_code, message_id=message_id)

    # -- control of the simulator, for tests and benchmarks -------------------------

    def _admin(self, method: str, path: str, scope: Scope, body: bytes) -> Answer:
        query = parse_qs(scope.get("query_string", b"").decode())
        action = path[len(ADMIN_PREFIX) :].strip("/")
        try:
            if action == "health":
                return Answer(200, {"ok": True})
            if action == "record" and method == "GET":
                return Answer(200, self.record.to_json(query.get("requests") == ["1"]))
            if action == "reset" and method == "POST":
                self.record.clear()
                return Answer(200, {"ok": True})
            if action == "faults" and method == "GET":
                return Answer(200, self.faults.to_json())
            if action == "faults" and method == "POST":
                self.faults = Faults.from_json(_decode(body) or {})
                return Answer(200, self.faults.to_json())
            if action == "rate-limit" and method == "POST":
                self.rate_limit = bool(_decode(body).get("enabled", True))
                return Answer(200, {"enabled": self.rate_limit})
            if action == "citizens" and method == "GET":
                kind = Kind(query.get("kind", ["with_io"])[0])
                service_id = query.get("service_id", [self.config.services[0].service_id])[0]
                count = min(int(query.get("count", ["10"])[0]), 10_000)
                codes = self.population.find(kind, service_id, count)
                return Answer(200, {"fiscal_codes": codes})
        except AppError as exc:
            return Answer(400, {"error": exc.message})
        except (ValueError, AttributeError, validation.Invalid) as exc:
            return Answer(400, {"error": str(exc)})
        return Answer(404, {"error": f"unknown simulator action {method} {action}"})


def _route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    if not path.startswith(API_PREFIX):
        return None
    parts = [p for p in path[len(API_PREFIX) :].split("/") if p]
    if method == "POST" and parts == ["profiles"]:
        return "getProfileByPOST", {}
    if method == "POST" and parts == ["messages"]:
        return "submitMessageforUserWithFiscalCodeInBody", {}
    if method == "GET" and len(parts) == 3 and parts[0] == "messages":
        return "getMessage", {"fiscal_code": parts[1], "id": parts[2]}
    # The deprecated forms still work on IO; the record names them so that tests can
    # assert the client never uses them.
    if method == "GET" and len(parts) == 2 and parts[0] == "profiles":
        return "getProfile", {"fiscal_code": parts[1]}
    if method == "POST" and len(parts) == 2 and parts[0] == "messages":
        return "submitMessageforUser", {"fiscal_code": parts[1]}
    return None


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError as exc:
        raise validation.Invalid(
            validation.INVALID_STRUCTURE, "The body is not valid JSON"
        ) from exc


async def _read_body(receive: Receive) -> bytes:
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    chunks = [body]
    while message.get("more_body"):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


async def _respond(send: Send, answer: Answer) -> None:
    payload = (
        json.dumps(answer.body, separators=(",", ":")).encode() if answer.body is not None else b""
    )
    headers = [
        (b"content-type", answer.content_type),
        (b"content-length", str(len(payload)).encode()),
        *answer.headers,
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _drop(send: Send) -> None:
    """Cut the connection mid-answer.

    ASGI has no way to close a connection; returning with the body unfinished makes
    the server abort it (uvicorn logs "returned without completing response")."""
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", JSON), (b"content-length", b"1000")],
        }
    )
    await send({"type": "http.response.body", "body": b"{", "more_body": True})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(config: SimulatorConfig) -> SimulatorApp:
    return SimulatorApp(config)
