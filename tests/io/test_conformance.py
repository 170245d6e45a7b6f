"""Every request the client sends and every answer the simulator gives, checked against
IO's official OpenAPI files (copied in tests/io/openapi/).

Where the live service differs from the spec we follow the service, as
../shared/io-api/README.md describes it: gateway errors (401, 429) are not
problem+json; the `notification` block is no longer returned since July 2026; a
payment's `payee` is filled in by IO with the sending organisation.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from io_helpers import ANAGRAFE_KEYS, MENSA_KEYS, TRIBUTI, TRIBUTI_KEYS, FakeClock, simulator
from openapi_schema import (
    MESSAGES_SPEC,
    OPENAPI_DIR,
    SERVICES_SPEC,
    errors,
    operation_parameters,
    path_parameter_pattern,
    response_schema,
)

from appio_core.domain import FeatureLevel
from appio_core.io.client import SIMULATOR_API_URL, IoClient
from appio_core.io.errors import IoError
from appio_core.io.manage import KeyType, ManageClient
from appio_core.io.models import TEST_FISCAL_CODE, ApiKeys, NewMessage
from appio_core.io.simulator import Faults, Kind, SimulatorApp
from appio_core.io.simulator.demo import DEMO_MANAGE_KEY

TEXT = "Gentile cittadino, le ricordiamo la scadenza del pagamento della tassa sui rifiuti. " * 2
NOTICE = "302000100000009421"


@dataclass
class Exchange:
    request: httpx.Request
    response: httpx.Response


class Recording(httpx.AsyncBaseTransport):
    """The in-process simulator, keeping every request and answer for inspection."""

    def __init__(self, app: SimulatorApp) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        self.exchanges.append(Exchange(request, httpx.Response(
            response.status_code, headers=response.headers, content=content
        )))  # fmt: skip
        return response


# The client's operations, as the spec names them: (spec file, spec path, body definition).
OPERATIONS = {
    ("POST", re.compile(r"^/api/v1/profiles$")): (SERVICES_SPEC, "/profiles", "FiscalCodePayload"),
    ("POST", re.compile(r"^/api/v1/messages$")): (MESSAGES_SPEC, "/", "NewMessage"),
    ("GET", re.compile(r"^/api/v1/messages/(?P<fiscal_code>[^/]+)/(?P<id>[^/]+)$")): (
        MESSAGES_SPEC,
        "/{fiscal_code}/{id}",
        None,
    ),
    # IO's management API, with the ente's manage key.
    ("GET", re.compile(r"^/api/v1/manage/services$")): (SERVICES_SPEC, "/manage/services", None),
    ("GET", re.compile(r"^/api/v1/manage/services/(?P<serviceId>[^/]+)$")): (
        SERVICES_SPEC,
        "/manage/services/{serviceId}",
        None,
    ),
    ("GET", re.compile(r"^/api/v1/manage/services/(?P<serviceId>[^/]+)/keys$")): (
        SERVICES_SPEC,
        "/manage/services/{serviceId}/keys",
        None,
    ),
    ("PUT", re.compile(r"^/api/v1/manage/services/(?P<serviceId>[^/]+)/keys/(?P<keyType>\w+)$")): (
        SERVICES_SPEC,
        "/manage/services/{serviceId}/keys/{keyType}",
        None,
    ),
}
# The same operations in the older file, which must agree.
OLDER_PATHS = {
    "/profiles": "/profiles",
    "/": "/messages",
    "/{fiscal_code}/{id}": "/messages/{fiscal_code}/{id}",
}


def operation(request: httpx.Request) -> tuple[str, str, str | None, dict[str, str]]:
    for (method, pattern), (spec_name, path, body) in OPERATIONS.items():
        match = pattern.match(request.url.path)
        if request.method == method and match:
            return spec_name, path, body, match.groupdict()
    raise AssertionError(f"the client called an operation it must not use: {request.url.path}")


def check_request(request: httpx.Request) -> list[str]:
    spec_name, path, body_definition, params = operation(request)
    problems = []
    if not request.headers.get("Ocp-Apim-Subscription-Key"):
        problems.append("no Ocp-Apim-Subscription-Key header")
    problems += parameter_errors(spec_name, path, request, params)
    if "fiscal_code" in params:
        pattern = path_parameter_pattern(spec_name, "FiscalCode")
        if not re.fullmatch(pattern, params["fiscal_code"]):
            problems.append(f"path fiscal code {params['fiscal_code']} does not match {pattern}")
    if body_definition:
        assert request.headers["content-type"] == "application/json"
        body = json.loads(request.content)
        problems += errors(spec_name, body_definition, body)
        problems += errors(SERVICES_SPEC, body_definition, body)
    return problems


def parameter_errors(
    spec_name: str, path: str, request: httpx.Request, params: dict[str, str]
) -> list[str]:
    """The query and path parameters against the operation's declared ones (type, bounds,
    enum); an undeclared query parameter is a problem too."""
    declared = operation_parameters(spec_name, path, request.method)
    given = {("query", k): v for k, v in request.url.params.items()}
    given |= {("path", k): v for k, v in params.items() if k not in ("fiscal_code", "id")}
    problems = []
    for (where, name), value in given.items():
        spec = declared.get((where, name))
        if spec is None:
            problems.append(f"{where} parameter {name} is not in the spec")
            continue
        if spec.get("type") == "integer":
            if not value.isdigit():
                problems.append(f"{name}={value} is not an integer")
                continue
            number = int(value)
            if number < spec.get("minimum", number) or number > spec.get("maximum", number):
                problems.append(f"{name}={value} is out of the spec's bounds")
        if "enum" in spec and value not in spec["enum"]:
            problems.append(f"{name}={value} is not one of {spec['enum']}")
    return problems


GATEWAY_STATUSES = (401, 429)  # answered by the gateway: {"statusCode", "message"}


def check_response(exchange: Exchange) -> list[str]:
    spec_name, path, _, _ = operation(exchange.request)
    response = exchange.response
    status = response.status_code
    problems = []
    for name, spec_path in ((spec_name, path), (SERVICES_SPEC, OLDER_PATHS.get(path, path))):
        if name == SERVICES_SPEC and spec_path == path and spec_name != SERVICES_SPEC:
            continue
        definition = response_schema(name, spec_path, exchange.request.method, status)
        if status in GATEWAY_STATUSES:
            body = response.json()
            if set(body) != {"statusCode", "message"} or body["statusCode"] != status:
                problems.append(f"gateway {status} body: {body}")
            continue
        if definition is None:
            continue
        body = response.json()
        problems += errors(name, definition, body)
        if definition == "ProblemJson":
            if response.headers["content-type"] != "application/problem+json":
                problems.append(f"{status} problem without application/problem+json")
            if body.get("status") != status or not body.get("title"):
                problems.append(f"problem without its status or title: {body}")
    if status == 201:
        message_id = response.json()["id"]
        if not re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", message_id):
            problems.append(f"message id {message_id} is not a ULID")
        fiscal_code = json.loads(exchange.request.content)["fiscal_code"]
        if response.headers.get("location") != f"/api/v1/messages/{fiscal_code}/{message_id}":
            problems.append(f"Location header: {response.headers.get('location')}")
    if status == 429 and not response.headers.get("x-rate-limit-retry-after", "").isdigit():
        problems.append("429 without x-rate-limit-retry-after")
    return problems


MESSAGES = [
    NewMessage(TEST_FISCAL_CODE, "Promemoria TARI 2026", TEXT),
    NewMessage(TEST_FISCAL_CODE, "x" * 10, "x" * 80, require_secure_channels=True),
    NewMessage(TEST_FISCAL_CODE, "x" * 120, "x" * 10_000, feature_level_type=FeatureLevel.ADVANCED),
    NewMessage(
        TEST_FISCAL_CODE, "Avviso di pagamento TARI", TEXT, amount=12_345, notice_number=NOTICE,
        due_date="2026-12-31T22:59:59.000Z", feature_level_type=FeatureLevel.ADVANCED,
    ),
    NewMessage(
        TEST_FISCAL_CODE, "Avviso di pagamento TARI", TEXT, amount=1, notice_number=NOTICE,
        invalid_after_due_date=True, due_date="2026-12-31T22:59:59.000Z",
    ),
]  # fmt: skip


async def drive(app: SimulatorApp, clock: FakeClock) -> list[Exchange]:
    """Every kind of answer the client can get, through the client itself."""
    recording = Recording(app)
    client = IoClient(SIMULATOR_API_URL, httpx.AsyncClient(transport=recording))
    with_io, blocked, without_io = (
        app.population.find(kind, TRIBUTI.io_service_id, 1)[0]
        for kind in (Kind.WITH_IO, Kind.BLOCKED, Kind.WITHOUT_IO)
    )

    async def attempt(call: Any) -> None:
        # The answer is what is checked here, not the outcome.
        with contextlib.suppress(IoError):
            await call

    for cf in (TEST_FISCAL_CODE, with_io, blocked, without_io):
        await attempt(client.get_profile(TRIBUTI_KEYS, cf))
    await attempt(client.get_profile(ANAGRAFE_KEYS, with_io))  # 403 Recipient forbidden
    sent = []
    for message in MESSAGES:
        sent.append(await client.send_message(TRIBUTI_KEYS, message))
    for cf in (with_io, without_io):
        message = NewMessage(cf, "Promemoria TARI 2026", TEXT)
        sent_to = await client.send_message(TRIBUTI_KEYS, message)
        sent.append(sent_to)
    fiscal_codes = [m.fiscal_code for m in MESSAGES] + [with_io, without_io]
    for when in (0.0, 5.0, 10.0):  # ACCEPTED, then final, then read and paid
        clock.now += when
        for cf, message_id in zip(fiscal_codes, sent, strict=True):
            await attempt(client.get_message_status(TRIBUTI_KEYS, cf, message_id))
    unknown_id = "01JD000000000000000000000X"
    await attempt(client.get_message_status(TRIBUTI_KEYS, TEST_FISCAL_CODE, unknown_id))  # 404
    await attempt(client.get_message_status(MENSA_KEYS, TEST_FISCAL_CODE, sent[0]))  # 403
    await attempt(client.get_profile(ApiKeys("unknown-key-0000", None), TEST_FISCAL_CODE))  # 401
    above_max = NewMessage(
        TEST_FISCAL_CODE, "Buono mensa", TEXT, amount=50_001, notice_number=NOTICE
    )
    await attempt(client.send_message(MENSA_KEYS, above_max))  # 400 payment metadata
    too_short = NewMessage(TEST_FISCAL_CODE, "Breve", TEXT)
    await attempt(client.send_message(TRIBUTI_KEYS, too_short))  # 400, a request out of spec
    app.set_faults(Faults(error_500_rate=1.0, created_share=0.0))
    await attempt(client.send_message(TRIBUTI_KEYS, MESSAGES[0]))
    app.set_faults(Faults())
    await client.aclose()
    return recording.exchanges


@pytest.mark.parametrize("email_notifications", [False, True], ids=["2026", "before July 2026"])
async def test_every_request_and_every_answer_conforms_to_ios_openapi(
    clock: FakeClock, email_notifications: bool
) -> None:
    app = simulator(
        clock, rate_limit=False, processing_delay=2.0, email_notifications=email_notifications,
        read_share=1.0, paid_share=1.0,
    )  # fmt: skip
    exchanges = await drive(app, clock)
    problems = [
        (e.request.method, e.request.url.path, e.response.status_code, found)
        for e in exchanges
        # A request IO refused as invalid was out of spec on purpose (checked below).
        if (
            found := check_response(e)
            + ([] if e.response.status_code == 400 else check_request(e.request))
        )
    ]
    assert problems == []
    refused = [json.loads(e.request.content) for e in exchanges if e.response.status_code == 400]
    assert [body["content"]["subject"] for body in refused] == ["Buono mensa", "Breve"]
    statuses = {e.response.status_code for e in exchanges}
    assert statuses == {200, 201, 400, 401, 403, 404, 500}
    bodies = [e.response.json() for e in exchanges if e.request.method == "GET"]
    seen = {b.get("status") for b in bodies} | {b.get("read_status") for b in bodies}
    assert {"ACCEPTED", "PROCESSED", "REJECTED", "READ", "UNREAD"} <= seen
    assert any("notification" in b for b in bodies) == email_notifications


async def test_a_429_conforms_to_the_gateways_answer(clock: FakeClock) -> None:
    app = simulator(clock)
    recording = Recording(app)
    async with httpx.AsyncClient(transport=recording, base_url=SIMULATOR_API_URL) as http:
        for _ in range(151):
            await http.post(
                SIMULATOR_API_URL + "/profiles", json={"fiscal_code": TEST_FISCAL_CODE},
                headers={"Ocp-Apim-Subscription-Key": TRIBUTI.primary_key},
            )  # fmt: skip
    last = recording.exchanges[-1]
    assert last.response.status_code == 429
    assert check_response(last) == []


async def drive_management(app: SimulatorApp) -> list[Exchange]:
    """Every operation of the management API the app uses, and its refusals."""
    recording = Recording(app)
    manage = ManageClient(SIMULATOR_API_URL, httpx.AsyncClient(transport=recording))
    tributi = TRIBUTI.io_service_id
    await manage.all_services(DEMO_MANAGE_KEY)
    await manage.list_services(DEMO_MANAGE_KEY, limit=1, offset=4)
    await manage.get_service(DEMO_MANAGE_KEY, tributi)
    await manage.get_keys(DEMO_MANAGE_KEY, tributi)
    for key_type in (KeyType.SECONDARY, KeyType.PRIMARY):
        await manage.regenerate_key(DEMO_MANAGE_KEY, tributi, key_type)
    with contextlib.suppress(IoError):
        await manage.get_keys("not-the-manage-key", tributi)  # 401
    with contextlib.suppress(IoError):
        await manage.get_service(DEMO_MANAGE_KEY, "01JUNKNOWNSERVICE")  # 404
    await manage.aclose()
    return recording.exchanges


async def test_the_management_api_conforms_to_ios_openapi(clock: FakeClock) -> None:
    app = simulator(clock, rate_limit=False)
    exchanges = await drive_management(app)
    problems = [
        (e.request.method, e.request.url.path, e.response.status_code, found)
        for e in exchanges
        if (found := check_response(e) + check_request(e.request))
    ]
    assert problems == []
    statuses = [e.response.status_code for e in exchanges]
    assert statuses == [200] * 6 + [401, 404]
    listed = exchanges[0].response.json()
    assert [s["id"] for s in listed["value"]] == [s.service_id for s in app.config.services]
    assert listed["pagination"] == {"offset": 0, "limit": 100, "count": 5}


async def test_a_key_type_the_spec_does_not_name_is_refused_as_a_problem(
    clock: FakeClock,
) -> None:
    recording = Recording(simulator(clock))
    async with httpx.AsyncClient(transport=recording) as http:
        await http.put(
            f"{SIMULATOR_API_URL}/manage/services/{TRIBUTI.io_service_id}/keys/PRIMARY_KEY",
            headers={"Ocp-Apim-Subscription-Key": DEMO_MANAGE_KEY},
        )
    [exchange] = recording.exchanges
    assert exchange.response.status_code == 400
    assert check_response(exchange) == []
    assert check_request(exchange.request) == [
        "keyType=PRIMARY_KEY is not one of ['primary', 'secondary']"
    ]


# IO's files as the project received them, beside the clone (CI has them); the copy in
# tests/io/openapi/ lets the tests run anywhere.
SHARED_OPENAPI = Path(__file__).resolve().parents[2].parent / "shared" / "io-api"


def test_the_copied_openapi_files_are_the_shared_ones() -> None:
    vendored = sorted(p.name for p in OPENAPI_DIR.glob("*.yaml"))
    assert vendored == sorted([MESSAGES_SPEC, SERVICES_SPEC])
    for name in vendored:
        assert "swagger: '2.0'" in (OPENAPI_DIR / name).read_text()
    if not SHARED_OPENAPI.is_dir():
        warnings.warn(
            f"{SHARED_OPENAPI} is absent: the conformance tests use only the copy in "
            f"{OPENAPI_DIR}, which nothing here compares with IO's files.",
            stacklevel=1,
        )
        return
    shared = sorted(p.name for p in SHARED_OPENAPI.glob("*.yaml"))
    assert shared == vendored, "tests/io/openapi/ must hold every OpenAPI file of shared/io-api"
    for name in vendored:
        copy, source = (OPENAPI_DIR / name).read_text(), (SHARED_OPENAPI / name).read_text()
        assert copy == source, f"tests/io/openapi/{name} differs from {SHARED_OPENAPI / name}"
