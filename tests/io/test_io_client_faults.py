"""The client against scripted answers (httpx.MockTransport): what it retries, what it
never retries, and the Italian message the operator reads for each failure."""

from __future__ import annotations

import json
import socket
from typing import Any

import aiohttp
import httpx
import pytest
from io_helpers import FakeClock

from appio_core.io.client import SIMULATOR_API_URL, IoClient, RetryPolicy
from appio_core.io.errors import (
    BadRequest,
    Forbidden,
    IoError,
    IoOutcomeUnknown,
    KeyRefused,
    MessageNotFound,
    NetworkError,
    ProfileNotFound,
    RateLimited,
    RecipientForbidden,
    ServiceUnavailable,
)
from appio_core.io.http import AiohttpIo
from appio_core.io.models import (
    ApiKeys,
    MessageStatusValue,
    NewMessage,
    NotificationStatus,
    PaymentStatus,
    ReadStatus,
)
from appio_core.io.rate_limit import RateLimiter

KEYS = ApiKeys("primary-key-0001", "secondary-key-01")
CF = "RSSMRA80A01H501U"
MESSAGE = NewMessage(CF, "Promemoria TARI 2026", "Testo del messaggio. " * 6)

Step = httpx.Response | Exception


class Script:
    """Answers in order, one per request; remembers every request."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step

    @property
    def keys_used(self) -> list[str]:
        return [r.headers["Ocp-Apim-Subscription-Key"] for r in self.requests]


def io(script: Script, clock: FakeClock, limiter: RateLimiter | None = None) -> IoClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(script))
    return IoClient(
        SIMULATOR_API_URL, http, limiter, retry=RetryPolicy(), sleep=clock.sleep, rng=lambda: 0.5
    )


def problem(status: int, title: str, detail: str) -> httpx.Response:
    body = {"title": title, "status": status, "detail": detail}
    return httpx.Response(
        status, content=json.dumps(body), headers={"content-type": "application/problem+json"}
    )


def gateway(status: int, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"statusCode": status, "message": message}, headers=headers)


def caused_by(exc: httpx.TransportError, cause: BaseException) -> httpx.TransportError:
    exc.__cause__ = cause
    return exc


CREATED = httpx.Response(201, json={"id": "01JD0000000000000000000000"})
PROFILE_OK = httpx.Response(200, json={"sender_allowed": True, "preferred_languages": ["it_IT"]})
DENIED = gateway(401, "Access denied due to invalid subscription key.")

MESSAGES = {
    BadRequest: "IO ha rifiutato il messaggio perché non valido (risposta di IO: «Invalid message "
    "structure - value 'x' at root.content.subject is not a valid [string of length 10..120]»): "
    "correggi i dati, ripetere l'invio non serve.",
    RecipientForbidden: "La chiave del servizio è in modalità limitata e può scrivere solo ai "
    "destinatari autorizzati: chiedi a PagoPA l'abilitazione all'invio massivo.",
    Forbidden: "IO non consente questa operazione al servizio (risposta di IO: «You are not "
    "allowed here - You do not have enough permission»).",
    KeyRefused: "IO ha rifiutato la chiave del servizio: verifica nel portale IO che le chiavi "
    "primaria e secondaria inserite siano quelle attuali.",
    IoOutcomeUnknown: "Non è possibile sapere se IO ha ricevuto il messaggio (la risposta non è "
    "arrivata): non reinviarlo, potrebbe arrivare due volte al cittadino.",
    ServiceUnavailable: "IO non è disponibile in questo momento (codice 503): riprova più tardi.",
    NetworkError: "Impossibile raggiungere IO (errore di rete): controlla la connessione del "
    "server a Internet e riprova.",
    ProfileNotFound: "Il cittadino non usa l'app IO (o ne ha disattivato i messaggi): il "
    "messaggio non gli può essere recapitato.",
    MessageNotFound: "IO non conosce questo messaggio per questo cittadino.",
    RateLimited: "IO ha chiesto di rallentare (troppe richieste nello stesso momento): la "
    "richiesta non è stata elaborata e può essere ripetuta tra poco.",
}

# (answer, error raised, requests made): a send is never repeated once it may have
# reached IO; a refused primary key is retried once with the secondary.
SEND_FAILURES: list[tuple[str, Step, type[IoError], int]] = [
    (
        "400",
        problem(
            400,
            "Invalid message structure",
            "value 'x' at root.content.subject is not a valid [string of length 10..120]",
        ),
        BadRequest,
        1,
    ),
    (
        "403 recipient",
        problem(403, "Recipient forbidden", "You are not allowed to issue requests"),
        RecipientForbidden,
        1,
    ),
    (
        "403 other",
        problem(403, "You are not allowed here", "You do not have enough permission"),
        Forbidden,
        1,
    ),
    ("401", DENIED, KeyRefused, 2),
    ("500", problem(500, "Internal server error", "boom"), IoOutcomeUnknown, 1),
    ("502", gateway(502, "Bad gateway"), IoOutcomeUnknown, 1),
    ("503", gateway(503, "Service Unavailable"), ServiceUnavailable, 1),
    ("read timeout", httpx.ReadTimeout("timed out"), IoOutcomeUnknown, 1),
    ("write timeout", httpx.WriteTimeout("timed out"), IoOutcomeUnknown, 1),
    ("dropped", httpx.RemoteProtocolError("Server disconnected"), IoOutcomeUnknown, 1),
    ("read error", httpx.ReadError("Connection reset by peer"), IoOutcomeUnknown, 1),
    ("refused", httpx.ConnectError("Connection refused"), NetworkError, 1),
    ("connect timeout", httpx.ConnectTimeout("timed out"), NetworkError, 1),
    (
        # httpx-aiohttp reports a server that hung up after our request as ConnectTimeout.
        "aiohttp disconnected",
        caused_by(httpx.ConnectTimeout("x"), aiohttp.ServerDisconnectedError()),
        IoOutcomeUnknown,
        1,
    ),
    (
        "aiohttp refused",
        caused_by(httpx.ConnectError("x"), aiohttp.ClientConnectorError(None, OSError(111, "r"))),  # type: ignore[arg-type]
        NetworkError,
        1,
    ),
]


@pytest.mark.parametrize(
    ("answer", "error", "requests"),
    [case[1:] for case in SEND_FAILURES],
    ids=[case[0] for case in SEND_FAILURES],
)
async def test_a_failed_send_raises_what_to_do_next_and_is_never_repeated(
    clock: FakeClock, answer: Step, error: type[IoError], requests: int
) -> None:
    script = Script(answer)
    with pytest.raises(error) as raised:
        await io(script, clock).send_message(KEYS, MESSAGE)
    assert type(raised.value) is error
    assert raised.value.message == MESSAGES[error]
    assert len(script.requests) == requests
    assert clock.sleeps == []


async def test_a_bad_request_keeps_ios_title_and_detail(clock: FakeClock) -> None:
    detail = "value 'x' at root.fiscal_code is not a valid"
    with pytest.raises(BadRequest) as raised:
        await io(Script(problem(400, "Bad parameters", detail)), clock).send_message(KEYS, MESSAGE)
    assert (raised.value.status, raised.value.title, raised.value.detail) == (
        400,
        "Bad parameters",
        detail,
    )
    assert detail in raised.value.message  # the operator reads IO's reason


# Reads change nothing on IO: retryable failures are retried (3 attempts in all).
READ_FAILURES: list[tuple[str, Step]] = [
    ("500", problem(500, "Internal server error", "boom")),
    ("503", gateway(503, "Service Unavailable")),
    ("read timeout", httpx.ReadTimeout("timed out")),
    ("dropped", httpx.RemoteProtocolError("Server disconnected")),
    ("refused", httpx.ConnectError("Connection refused")),
]


@pytest.mark.parametrize(
    "failure", [c[1] for c in READ_FAILURES], ids=[c[0] for c in READ_FAILURES]
)
async def test_a_profile_check_is_retried_after_a_temporary_failure(
    clock: FakeClock, failure: Step
) -> None:
    script = Script(failure, failure, PROFILE_OK)
    profile = await io(script, clock).get_profile(KEYS, CF)
    assert profile.sender_allowed is True
    assert profile.preferred_languages == ("it_IT",)
    assert len(script.requests) == 3
    assert clock.sleeps == [0.375, 0.75]  # growing backoff, jittered (rng 0.5)


async def test_a_profile_check_gives_up_after_three_attempts(clock: FakeClock) -> None:
    script = Script(gateway(503, "Service Unavailable", **{"retry-after": "7"}))
    with pytest.raises(ServiceUnavailable) as raised:
        await io(script, clock).get_profile(KEYS, CF)
    assert raised.value.retry_after == 7.0
    assert len(script.requests) == 3
    assert clock.sleeps == [7.0, 7.0]  # IO's Retry-After wins over our backoff


async def test_a_citizen_without_io_is_a_permanent_profile_not_found(clock: FakeClock) -> None:
    script = Script(problem(404, "Profile not found", "The profile you requested was not found"))
    with pytest.raises(ProfileNotFound) as raised:
        await io(script, clock).get_profile(KEYS, CF)
    assert raised.value.message == MESSAGES[ProfileNotFound]
    assert len(script.requests) == 1


async def test_an_unknown_message_is_a_permanent_message_not_found(clock: FakeClock) -> None:
    script = Script(problem(404, "Message not found", "The message you requested was not found"))
    with pytest.raises(MessageNotFound) as raised:
        await io(script, clock).get_message_status(KEYS, CF, "01JD0000000000000000000000")
    assert raised.value.message == MESSAGES[MessageNotFound]


async def test_a_429_storm_is_absorbed_with_the_accounts_pauses_and_the_send_goes_through(
    clock: FakeClock,
) -> None:
    storm = gateway(429, "Rate limit is exceeded. Try again in 2 seconds.")
    storm.headers["x-rate-limit-retry-after"] = "2"
    script = Script(storm, storm, storm, CREATED)
    limiter = RateLimiter(150, 5.0, clock=clock, sleep=clock.sleep, rng=lambda: 0.0)
    message_id = await io(script, clock, limiter).send_message(KEYS, MESSAGE)
    assert message_id == "01JD0000000000000000000000"
    assert len(script.requests) == 4
    # IO's 2 s, then our own growing backoff once it is longer (0.5, 1, 2, 4 ... capped).
    assert clock.sleeps == [2.0, 2.0, 2.0]


async def test_an_endless_429_storm_ends_in_a_retryable_rate_limited(clock: FakeClock) -> None:
    storm = gateway(429, "Rate limit is exceeded. Try again in 1 seconds.")
    storm.headers["x-rate-limit-retry-after"] = "1"
    script = Script(storm)
    limiter = RateLimiter(150, 5.0, clock=clock, sleep=clock.sleep, rng=lambda: 0.0)
    with pytest.raises(RateLimited) as raised:
        await io(script, clock, limiter).send_message(KEYS, MESSAGE)
    assert raised.value.retry_after == 1.0
    assert raised.value.message == MESSAGES[RateLimited]
    assert len(script.requests) == RetryPolicy().max_throttled + 1


async def test_without_a_limiter_a_429_still_waits_before_the_retry(clock: FakeClock) -> None:
    storm = gateway(429, "Rate limit is exceeded. Try again in 3 seconds.")
    storm.headers["x-rate-limit-retry-after"] = "3"
    script = Script(storm, PROFILE_OK)
    await io(script, clock).get_profile(KEYS, CF)
    assert clock.sleeps == [3.0]


async def test_a_refused_primary_key_falls_back_to_the_secondary_and_remembers_it(
    clock: FakeClock,
) -> None:
    script = Script(DENIED, CREATED, CREATED)
    client = io(script, clock)
    await client.send_message(KEYS, MESSAGE)
    await client.send_message(KEYS, MESSAGE)
    # The second send goes straight to the secondary: no request wasted on the primary.
    assert script.keys_used == [KEYS.primary, KEYS.secondary, KEYS.secondary]


async def test_without_a_secondary_key_a_refused_primary_is_final(clock: FakeClock) -> None:
    script = Script(DENIED)
    with pytest.raises(KeyRefused):
        await io(script, clock).get_profile(ApiKeys(KEYS.primary, None), CF)
    assert len(script.requests) == 1


async def test_the_message_id_comes_from_the_location_when_the_body_lacks_it(
    clock: FakeClock,
) -> None:
    created = httpx.Response(201, headers={"location": f"/api/v1/messages/{CF}/01JDLOCATION"})
    assert await io(Script(created), clock).send_message(KEYS, MESSAGE) == "01JDLOCATION"


STATUS_BODIES: list[tuple[str, dict[str, Any], tuple[Any, ...]]] = [
    (
        "standard, no notification block (IO since July 2026)",
        {"message": {"id": "M1", "feature_level_type": "STANDARD"}, "status": "PROCESSED"},
        (MessageStatusValue.PROCESSED, None, None, None),
    ),
    (
        "with the e-mail status",
        {"message": {"id": "M1"}, "status": "PROCESSED", "notification": {"email": "SENT"}},
        (MessageStatusValue.PROCESSED, NotificationStatus.SENT, None, None),
    ),
    (
        "advanced with read and payment status",
        {
            "message": {"id": "M1", "feature_level_type": "ADVANCED"},
            "status": "PROCESSED",
            "read_status": "READ",
            "payment_status": "PAID",
        },
        (MessageStatusValue.PROCESSED, None, ReadStatus.READ, PaymentStatus.PAID),
    ),
    (
        "no status written yet",
        {"message": {"id": "M1"}},
        (MessageStatusValue.ACCEPTED, None, None, None),
    ),
    (
        "a value IO added later is shown as unknown",
        {"message": {"id": "M1"}, "status": "REJECTED", "notification": {"email": "QUEUED"}},
        (MessageStatusValue.REJECTED, None, None, None),
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in STATUS_BODIES], ids=[c[0] for c in STATUS_BODIES]
)
async def test_a_message_status_is_read_into_typed_values(
    clock: FakeClock, body: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    status = await io(Script(httpx.Response(200, json=body)), clock).get_message_status(
        KEYS, CF, "M1"
    )
    got = (status.status, status.email_notification, status.read_status, status.payment_status)
    assert got == expected


async def test_with_aiohttp_a_refused_connection_is_surely_not_sent() -> None:
    """Production's client (aiohttp directly): nothing listens, so the send cannot have
    reached IO; the caller may try it again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: a port nobody listens on
    http = AiohttpIo(connect_seconds=2.0, read_seconds=2.0)
    client = IoClient(f"http://127.0.0.1:{port}/api/v1", http)
    try:
        with pytest.raises(NetworkError):
            await client.send_message(KEYS, MESSAGE)
    finally:
        await http.aclose()
