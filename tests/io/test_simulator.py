"""The simulator behaves like IO: keys, citizens, validation, statuses, rate limit,
faults, and a record tests can trust."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from io_helpers import (
    ANAGRAFE,
    ANAGRAFE_KEYS,
    MENSA,
    MENSA_KEYS,
    TRIBUTI,
    TRIBUTI_KEYS,
    FakeClock,
    client_on,
    simulator,
)

from appio_core.domain import FeatureLevel
from appio_core.errors import InvalidInput
from appio_core.io.errors import (
    Forbidden,
    IoOutcomeUnknown,
    MessageNotFound,
    ProfileNotFound,
    RecipientForbidden,
    ServiceUnavailable,
)
from appio_core.io.models import (
    TEST_FISCAL_CODE,
    ApiKeys,
    MessageStatusValue,
    NewMessage,
    NotificationStatus,
    PaymentStatus,
    ReadStatus,
)
from appio_core.io.simulator import Faults, Kind, Population, SimulatorApp, create_app, load_config

TEXT = "Gentile cittadino, le ricordiamo la scadenza del pagamento della tassa sui rifiuti. " * 2
NOTICE = "012345678901234567"
UNKNOWN_ID = "01JD000000000000000000000X"
TEST_MESSAGE = NewMessage(TEST_FISCAL_CODE, "Promemoria TARI 2026", TEXT)
GATEWAY_401 = {
    "statusCode": 401,
    "message": "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription.",
}


def raw(app: SimulatorApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim")


def send_body(**content: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "fiscal_code": TEST_FISCAL_CODE,
        "content": {"subject": "Promemoria TARI 2026", "markdown": TEXT},
    }
    for top_level in ("fiscal_code", "time_to_live", "feature_level_type"):
        if top_level in content:
            body[top_level] = content.pop(top_level)
    body["content"].update(content)
    return body


def citizens(app: SimulatorApp, kind: Kind, count: int = 1, service: str = "") -> list[str]:
    return app.population.find(kind, service or TRIBUTI.io_service_id, count)


# (case, body, service key, title, detail fragment)
INVALID_SENDS: list[tuple[str, Any, str, str, str]] = [
    ("subject too short", send_body(subject="Breve"), TRIBUTI.primary_key,
     "Invalid message structure", "root.content.subject is not a valid [string of length 10..120]"),
    ("subject too long", send_body(subject="x" * 121), TRIBUTI.primary_key,
     "Invalid message structure", "root.content.subject"),
    ("markdown too short", send_body(markdown="x" * 79), TRIBUTI.primary_key,
     "Invalid message structure",
     "root.content.markdown is not a valid [string of length 80..10000]"),
    ("markdown too long", send_body(markdown="x" * 10_001), TRIBUTI.primary_key,
     "Invalid message structure", "root.content.markdown"),
    ("fiscal code lower case", send_body(fiscal_code="rssmra80a01h501u"), TRIBUTI.primary_key,
     "Bad parameters", "root.fiscal_code is not a valid [FiscalCode]"),
    ("fiscal code missing", {"content": send_body()["content"]}, TRIBUTI.primary_key,
     "Bad parameters", "root.fiscal_code"),
    ("amount zero", send_body(payment_data={"amount": 0, "notice_number": NOTICE}),
     TRIBUTI.primary_key, "Invalid message structure", "root.content.payment_data.amount"),
    ("amount as boolean", send_body(payment_data={"amount": True, "notice_number": NOTICE}),
     TRIBUTI.primary_key, "Invalid message structure", "root.content.payment_data.amount"),
    ("amount above IO's maximum",
     send_body(payment_data={"amount": 10_000_000_000, "notice_number": NOTICE}),
     TRIBUTI.primary_key, "Invalid message structure", "integer in 1..9999999999"),
    ("amount above the service's maximum",
     send_body(payment_data={"amount": 50_001, "notice_number": NOTICE}), MENSA.primary_key,
     "Error while sending payment metadata",
     "The requested amount (50001 cents) exceeds the maximum allowed for this service"
     " (50000 cents)"),
    ("notice number of 17 digits",
     send_body(payment_data={"amount": 100, "notice_number": NOTICE[:-1]}),
     TRIBUTI.primary_key, "Invalid message structure", "root.content.payment_data.notice_number"),
    ("notice number starting with 4",
     send_body(payment_data={"amount": 100, "notice_number": "4" + NOTICE[1:]}),
     TRIBUTI.primary_key, "Invalid message structure", "notice_number"),
    ("payment without notice number", send_body(payment_data={"amount": 100}),
     TRIBUTI.primary_key, "Invalid message structure", "notice_number"),
    ("due date without time", send_body(due_date="2026-12-31"), TRIBUTI.primary_key,
     "Invalid message structure", "root.content.due_date is not a valid [UTCISODateFromString]"),
    ("time to live too short", send_body(time_to_live=60), TRIBUTI.primary_key,
     "Invalid message structure", "root.time_to_live"),
    ("unknown feature level", send_body(feature_level_type="PREMIUM"), TRIBUTI.primary_key,
     "Invalid message structure", "root.feature_level_type"),
    ("secure channels as text", send_body(require_secure_channels="yes"), TRIBUTI.primary_key,
     "Invalid message structure", "root.content.require_secure_channels"),
    ("no content", {"fiscal_code": TEST_FISCAL_CODE}, TRIBUTI.primary_key,
     "Invalid message structure", "root.content is not a valid [object]"),
    ("body not JSON", "{not json", TRIBUTI.primary_key,
     "Invalid message structure", "The body is not valid JSON"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "key", "title", "detail"),
    [c[1:] for c in INVALID_SENDS],
    ids=[c[0] for c in INVALID_SENDS],
)
async def test_an_invalid_message_gets_a_400_problem_with_ios_title(
    sim: SimulatorApp, body: Any, key: str, title: str, detail: str
) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    async with raw(sim) as http:
        response = await http.post(
            "/api/v1/messages", content=content, headers={"Ocp-Apim-Subscription-Key": key}
        )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["title"], problem["status"]) == (title, 400)
    assert detail in problem["detail"]
    assert sim.record.messages == {}


VALID_SENDS: list[tuple[str, dict[str, Any]]] = [
    ("plain", send_body()),
    ("shortest texts", send_body(subject="x" * 10, markdown="x" * 80)),
    ("longest texts", send_body(subject="x" * 120, markdown="x" * 10_000)),
    ("payment at the service's maximum",
     send_body(payment_data={"amount": 1_000_000, "notice_number": NOTICE,
                             "invalid_after_due_date": True}, due_date="2026-12-31T22:59:59.000Z")),
    ("advanced, secure channels, ttl", send_body(
        feature_level_type="ADVANCED", require_secure_channels=True, time_to_live=604800)),
    ("default addresses are ignored", {**send_body(), "default_addresses": {"email": "a@b.it"}}),
]  # fmt: skip


@pytest.mark.parametrize("body", [c[1] for c in VALID_SENDS], ids=[c[0] for c in VALID_SENDS])
async def test_a_valid_message_gets_201_with_a_fresh_ulid_and_its_location(
    sim: SimulatorApp, body: dict[str, Any]
) -> None:
    async with raw(sim) as http:
        headers = {"Ocp-Apim-Subscription-Key": TRIBUTI.primary_key}
        first = await http.post("/api/v1/messages", json=body, headers=headers)
        second = await http.post("/api/v1/messages", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    message_id = first.json()["id"]
    assert len(message_id) == 26 and message_id != second.json()["id"]
    assert first.headers["location"] == f"/api/v1/messages/{TEST_FISCAL_CODE}/{message_id}"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Ocp-Apim-Subscription-Key": "not-a-known-key"}],
    ids=["missing key", "unknown key"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/profiles"), ("POST", "/api/v1/messages"), ("GET", "/api/v1/messages/X/Y")],
)
async def test_a_missing_or_unknown_key_gets_the_gateways_401(
    sim: SimulatorApp, headers: dict[str, str], method: str, path: str
) -> None:
    async with raw(sim) as http:
        response = await http.request(method, path, json=send_body(), headers=headers)
    assert response.status_code == 401
    assert response.json() == GATEWAY_401


async def test_both_keys_of_a_service_work_and_the_record_says_which_was_used(
    sim: SimulatorApp,
) -> None:
    async with raw(sim) as http:
        for key in (TRIBUTI.primary_key, TRIBUTI.secondary_key):
            response = await http.post(
                "/api/v1/profiles",
                json={"fiscal_code": TEST_FISCAL_CODE},
                headers={"Ocp-Apim-Subscription-Key": key},
            )
            assert response.status_code == 200
    assert [e.key for e in sim.record.requests] == ["primary", "secondary"]


async def test_a_limited_key_reaches_only_its_authorised_recipients(sim: SimulatorApp) -> None:
    other = citizens(sim, Kind.WITH_IO, service=ANAGRAFE.io_service_id)[0]
    client = client_on(sim)
    assert (await client.get_profile(ANAGRAFE_KEYS, TEST_FISCAL_CODE)).sender_allowed
    await client.send_message(ANAGRAFE_KEYS, NewMessage(TEST_FISCAL_CODE, "Promemoria CIE", TEXT))
    with pytest.raises(RecipientForbidden):
        await client.get_profile(ANAGRAFE_KEYS, other)
    with pytest.raises(RecipientForbidden):
        await client.send_message(ANAGRAFE_KEYS, NewMessage(other, "Promemoria CIE", TEXT))
    assert list(sim.record.sends_by_fiscal_code()) == [TEST_FISCAL_CODE]


async def test_the_population_answers_profile_checks_as_its_kinds_say(sim: SimulatorApp) -> None:
    client = client_on(sim)
    for fiscal_code in citizens(sim, Kind.WITH_IO, 3):
        assert (await client.get_profile(TRIBUTI_KEYS, fiscal_code)).sender_allowed is True
    for fiscal_code in citizens(sim, Kind.BLOCKED, 3):
        assert (await client.get_profile(TRIBUTI_KEYS, fiscal_code)).sender_allowed is False
    for fiscal_code in citizens(sim, Kind.WITHOUT_IO, 3):
        with pytest.raises(ProfileNotFound):
            await client.get_profile(TRIBUTI_KEYS, fiscal_code)


def test_the_population_is_the_same_for_the_same_seed_and_mixed_as_configured() -> None:
    codes = list(zip(range(2000), Population(7).fiscal_codes(), strict=False))
    kinds = [Population(7).kind(cf, "S") for _, cf in codes]
    assert kinds == [Population(7).kind(cf, "S") for _, cf in codes]
    assert kinds != [Population(8).kind(cf, "S") for _, cf in codes]
    without_io = kinds.count(Kind.WITHOUT_IO) / len(kinds)
    blocked = kinds.count(Kind.BLOCKED) / len(kinds)
    assert 0.08 < without_io < 0.12 and 0.03 < blocked < 0.07


def test_blocking_is_per_service() -> None:
    population = Population(0)
    blocked = population.find(Kind.BLOCKED, TRIBUTI.io_service_id, 20)
    assert any(population.kind(cf, MENSA.io_service_id) == Kind.WITH_IO for cf in blocked)


async def test_a_status_moves_from_accepted_to_processed_after_the_delay(clock: FakeClock) -> None:
    sim = simulator(clock, rate_limit=False, processing_delay=2.0)
    client = client_on(sim)
    cf = citizens(sim, Kind.WITH_IO)[0]
    message_id = await client.send_message(TRIBUTI_KEYS, NewMessage(cf, "Promemoria TARI", TEXT))
    first = await client.get_message_status(TRIBUTI_KEYS, cf, message_id)
    clock.now += 2.0
    later = await client.get_message_status(TRIBUTI_KEYS, cf, message_id)
    assert first.status == MessageStatusValue.ACCEPTED
    assert later.status == MessageStatusValue.PROCESSED
    assert later.email_notification is None  # IO no longer says, unless switched on


@pytest.mark.parametrize("kind", [Kind.WITHOUT_IO, Kind.BLOCKED])
async def test_a_message_to_a_citizen_without_io_or_who_blocked_the_service_is_rejected(
    sim: SimulatorApp, kind: Kind
) -> None:
    client = client_on(sim)
    cf = citizens(sim, kind)[0]
    message_id = await client.send_message(TRIBUTI_KEYS, NewMessage(cf, "Promemoria TARI", TEXT))
    status = await client.get_message_status(TRIBUTI_KEYS, cf, message_id)
    assert status.status == MessageStatusValue.REJECTED and status.is_final


@pytest.mark.parametrize(
    ("secure", "expected"), [(False, NotificationStatus.SENT), (True, None)], ids=["email", "push"]
)
async def test_the_email_status_appears_when_switched_on_and_the_citizen_has_email(
    clock: FakeClock, secure: bool, expected: NotificationStatus | None
) -> None:
    sim = simulator(clock, rate_limit=False, email_notifications=True)
    client = client_on(sim)
    message = NewMessage(TEST_FISCAL_CODE, "Promemoria TARI", TEXT, require_secure_channels=secure)
    message_id = await client.send_message(TRIBUTI_KEYS, message)
    status = await client.get_message_status(TRIBUTI_KEYS, TEST_FISCAL_CODE, message_id)
    assert status.email_notification == expected


async def test_an_advanced_payment_message_has_read_and_payment_status(clock: FakeClock) -> None:
    sim = simulator(clock, rate_limit=False, processing_delay=1.0, read_share=1.0, paid_share=1.0)
    client = client_on(sim)
    message = NewMessage(
        TEST_FISCAL_CODE, "Avviso TARI 2026", TEXT, amount=100, notice_number=NOTICE,
        feature_level_type=FeatureLevel.ADVANCED,
    )  # fmt: skip
    message_id = await client.send_message(TRIBUTI_KEYS, message)
    seen = []
    for _ in range(3):
        status = await client.get_message_status(TRIBUTI_KEYS, TEST_FISCAL_CODE, message_id)
        seen.append((status.status, status.read_status, status.payment_status))
        clock.now += 1.0
    assert seen == [
        (MessageStatusValue.ACCEPTED, ReadStatus.UNREAD, PaymentStatus.NOT_PAID),
        (MessageStatusValue.PROCESSED, ReadStatus.UNREAD, PaymentStatus.NOT_PAID),
        (MessageStatusValue.PROCESSED, ReadStatus.READ, PaymentStatus.PAID),
    ]


async def test_a_standard_message_has_no_read_or_payment_status(sim: SimulatorApp) -> None:
    client = client_on(sim)
    message = NewMessage(TEST_FISCAL_CODE, "Avviso TARI", TEXT, amount=100, notice_number=NOTICE)
    message_id = await client.send_message(TRIBUTI_KEYS, message)
    status = await client.get_message_status(TRIBUTI_KEYS, TEST_FISCAL_CODE, message_id)
    assert (status.read_status, status.payment_status) == (None, None)


async def test_another_services_message_is_403_and_an_unknown_one_404(sim: SimulatorApp) -> None:
    client = client_on(sim)
    message_id = await client.send_message(
        TRIBUTI_KEYS, NewMessage(TEST_FISCAL_CODE, "Promemoria TARI", TEXT)
    )
    with pytest.raises(Forbidden):
        await client.get_message_status(MENSA_KEYS, TEST_FISCAL_CODE, message_id)
    with pytest.raises(MessageNotFound):
        await client.get_message_status(TRIBUTI_KEYS, TEST_FISCAL_CODE, UNKNOWN_ID)
    with pytest.raises(MessageNotFound):
        await client.get_message_status(TRIBUTI_KEYS, "RSSMRA80A01H501U", message_id)


async def test_the_rate_limit_is_per_account_with_the_gateways_429(clock: FakeClock) -> None:
    sim = simulator(clock)  # demo services: one account, 150 per 5 s
    async with raw(sim) as http:

        async def profile(key: str) -> httpx.Response:
            return await http.post(
                "/api/v1/profiles",
                json={"fiscal_code": TEST_FISCAL_CODE},
                headers={"Ocp-Apim-Subscription-Key": key},
            )

        answers = [await profile(TRIBUTI.primary_key) for _ in range(100)]
        answers += [await profile(MENSA.primary_key) for _ in range(50)]
        clock.now += 1.0
        refused = await profile(MENSA.primary_key)
        clock.now += 4.0  # the first requests leave the window
        again = await profile(TRIBUTI.primary_key)
    assert [a.headers["x-rate-limit-remaining"] for a in answers[:3]] == ["149", "148", "147"]
    assert answers[-1].headers["x-rate-limit-remaining"] == "0"
    assert refused.status_code == 429
    assert refused.json() == {
        "statusCode": 429,
        "message": "Rate limit is exceeded. Try again in 4 seconds.",
    }
    assert refused.headers["x-rate-limit-retry-after"] == "4"
    assert again.status_code == 200


async def test_without_rate_limit_nothing_is_refused(sim: SimulatorApp) -> None:
    client = client_on(sim)
    for _ in range(200):
        await client.get_profile(TRIBUTI_KEYS, TEST_FISCAL_CODE)
    assert sim.record.operations() == {"getProfileByPOST": 200}


async def test_a_503_fault_creates_nothing(sim: SimulatorApp) -> None:
    sim.set_faults(Faults(error_503_rate=1.0))
    with pytest.raises(ServiceUnavailable):
        await client_on(sim).send_message(TRIBUTI_KEYS, TEST_MESSAGE)
    assert sim.record.messages == {}


@pytest.mark.parametrize("fault", ["error_500_rate", "timeout_rate", "drop_rate"])
@pytest.mark.parametrize("created", [0.0, 1.0], ids=["before creating", "after creating"])
async def test_a_lost_answer_leaves_the_outcome_unknown_whether_or_not_io_created_it(
    sim: SimulatorApp, fault: str, created: float
) -> None:
    sim.set_faults(Faults(**{fault: 1.0, "created_share": created}))
    with pytest.raises(IoOutcomeUnknown):
        await client_on(sim).send_message(TRIBUTI_KEYS, TEST_MESSAGE)
    assert len(sim.record.messages) == int(created)
    assert sim.record.requests[-1].fault == fault.removesuffix("_rate").replace("error_", "")


async def test_the_record_shows_a_citizen_who_got_the_same_message_twice(sim: SimulatorApp) -> None:
    client = client_on(sim)
    once, twice = citizens(sim, Kind.WITH_IO, 2)
    for cf in (once, twice, twice):
        await client.send_message(TRIBUTI_KEYS, NewMessage(cf, "Promemoria TARI", TEXT))
    await client.send_message(TRIBUTI_KEYS, NewMessage(once, "Un altro messaggio", TEXT))
    sends = sim.record.sends_by_fiscal_code()
    assert {cf: len(ids) for cf, ids in sends.items()} == {once: 2, twice: 2}
    assert sim.record.duplicates() == {twice: 2}


async def test_the_client_never_uses_the_deprecated_paths(sim: SimulatorApp) -> None:
    client = client_on(sim)
    await client.get_profile(TRIBUTI_KEYS, TEST_FISCAL_CODE)
    message_id = await client.send_message(TRIBUTI_KEYS, TEST_MESSAGE)
    await client.get_message_status(TRIBUTI_KEYS, TEST_FISCAL_CODE, message_id)
    assert sim.record.operations() == {
        "getProfileByPOST": 1,
        "submitMessageforUserWithFiscalCodeInBody": 1,
        "getMessage": 1,
    }


async def test_the_record_and_faults_are_reachable_over_http(sim: SimulatorApp) -> None:
    async with raw(sim) as http:
        found = await http.get("/__simulator/citizens", params={"kind": "without_io", "count": "2"})
        changed = await http.post("/__simulator/faults", json={"error_503_rate": 0.25})
        set_then = sim.faults.error_503_rate
        bad = await http.post("/__simulator/faults", json={"error_503_rate": 2})
        await http.post("/__simulator/faults", json={})
        await http.post(
            "/api/v1/messages", json=send_body(),
            headers={"Ocp-Apim-Subscription-Key": TRIBUTI.primary_key},
        )  # fmt: skip
        record = (await http.get("/__simulator/record", params={"requests": "1"})).json()
        await http.post("/__simulator/reset")
        empty = (await http.get("/__simulator/record")).json()
    assert found.json()["fiscal_codes"] == citizens(sim, Kind.WITHOUT_IO, 2)
    assert changed.json()["error_503_rate"] == 0.25 and set_then == 0.25
    assert bad.status_code == 400
    assert record["request_count"] == 1
    assert [m["fiscal_code"] for m in record["messages"]] == [TEST_FISCAL_CODE]
    assert record["requests"][0]["operation"] == "submitMessageforUserWithFiscalCodeInBody"
    assert empty["request_count"] == 0


CONFIG_YAML = """
seed: 3
processing_delay: 0
accounts:
  - {name: grande, requests: 0}
  - {name: piccolo, requests: 2, window: 5}
services:
  - service_id: SRV-A
    name: Servizio A
    primary_key: key-a-primary-0001
    secondary_key: key-a-secondary-001
    account: grande
  - service_id: SRV-B
    name: Servizio B
    primary_key: key-b-primary-0001
    secondary_key: key-b-secondary-001
    account: piccolo
    limited: true
    authorized_recipients: [RSSMRA80A01H501U]
faults: {error_503_rate: 0}
"""


async def test_a_yaml_config_sets_accounts_limits_and_authorised_recipients(
    tmp_path: Path,
) -> None:
    path = tmp_path / "simulatore.yaml"
    path.write_text(CONFIG_YAML)
    sim = create_app(load_config(path))
    client = client_on(sim)
    unlimited, limited = ApiKeys("key-a-primary-0001", None), ApiKeys("key-b-primary-0001", None)
    for _ in range(5):  # an account with no limit
        await client.get_profile(unlimited, TEST_FISCAL_CODE)
    # An authorised recipient of the limited key: the answer is the population's.
    assert sim.population.kind("RSSMRA80A01H501U", "SRV-B") == Kind.WITH_IO
    authorised = await client.get_profile(limited, "RSSMRA80A01H501U")
    assert authorised.sender_allowed is True
    with pytest.raises(RecipientForbidden):
        await client.get_profile(limited, "VRDLGU70A01F205Z")
    async with raw(sim) as http:
        third = await http.post(
            "/api/v1/profiles", json={"fiscal_code": TEST_FISCAL_CODE},
            headers={"Ocp-Apim-Subscription-Key": "key-b-primary-0001"},
        )  # fmt: skip
    assert third.status_code == 429  # two per 5 s on the small account


def test_a_yaml_config_without_services_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vuoto.yaml"
    path.write_text("seed: 1\n")
    with pytest.raises(InvalidInput, match="nessun servizio configurato"):
        load_config(path)


async def test_the_rate_limit_can_be_switched_off_over_http(clock: FakeClock) -> None:
    sim = simulator(clock)
    async with raw(sim) as http:
        switched = await http.post("/__simulator/rate-limit", json={"enabled": False})
        headers = {"Ocp-Apim-Subscription-Key": TRIBUTI.primary_key}
        answers = [
            await http.post(
                "/api/v1/profiles", json={"fiscal_code": TEST_FISCAL_CODE}, headers=headers
            )
            for _ in range(160)
        ]
    assert switched.json() == {"enabled": False}
    assert {a.status_code for a in answers} == {200}
    assert "x-rate-limit-remaining" not in answers[0].headers


# -- requests held until released (a send in flight on demand) -----------------------------


async def _until_held(http: httpx.AsyncClient, count: int) -> list[str | None]:
    """The codici fiscali of the requests held, once `count` are (each request has its own
    task: a loop turn or two)."""
    for _ in range(100):
        held = (await http.get("/__simulator/held")).json()["held"]
        if len(held) >= count:
            return [h["fiscal_code"] for h in held]
        await asyncio.sleep(0)
    raise AssertionError(f"fewer than {count} requests held")


async def test_a_held_send_is_processed_only_once_released(sim: SimulatorApp) -> None:
    code, other = citizens(sim, Kind.WITH_IO, 2)
    key = {"Ocp-Apim-Subscription-Key": TRIBUTI.primary_key}
    async with raw(sim) as http:
        armed = await http.post("/__simulator/hold", json={"fiscal_codes": [code]})
        assert armed.json()["armed"] == {"fiscal_codes": [code], "count": 0}
        held = asyncio.create_task(
            http.post("/api/v1/messages", json=send_body(fiscal_code=code), headers=key)
        )
        assert await _until_held(http, 1) == [code]
        # Received, not processed: no message yet; profile checks and other citizens pass.
        assert sim.record.sends_by_fiscal_code() == {}
        profile = await http.post("/api/v1/profiles", json={"fiscal_code": code}, headers=key)
        passed = await http.post("/api/v1/messages", json=send_body(fiscal_code=other), headers=key)
        assert (profile.status_code, passed.status_code) == (200, 201)
        released = (await http.post("/__simulator/release", json={})).json()
        answer = await held
        # The hold was once: the same citizen's next send goes through.
        again = await http.post("/api/v1/messages", json=send_body(fiscal_code=code), headers=key)
    assert released["released"] == 1 and released["held"] == []
    assert answer.status_code == 201 and again.status_code == 201
    assert sim.record.sends_by_fiscal_code()[code] == [answer.json()["id"], again.json()["id"]]


async def test_the_next_n_sends_of_anyone_are_held_and_released_by_codice_fiscale(
    sim: SimulatorApp,
) -> None:
    first, second, third = citizens(sim, Kind.WITH_IO, 3)
    key = {"Ocp-Apim-Subscription-Key": TRIBUTI.primary_key}
    async with raw(sim) as http:
        await http.post("/__simulator/hold", json={"count": 2})
        sends = [
            asyncio.create_task(
                http.post("/api/v1/messages", json=send_body(fiscal_code=code), headers=key)
            )
            for code in (first, second)
        ]
        assert set(await _until_held(http, 2)) == {first, second}
        free = await http.post("/api/v1/messages", json=send_body(fiscal_code=third), headers=key)
        one = (await http.post("/__simulator/release", json={"fiscal_codes": [second]})).json()
        assert (await sends[1]).status_code == 201
        assert not sends[0].done()
        assert [h["fiscal_code"] for h in one["held"]] == [first]
        await http.post("/__simulator/release", json={})
        assert (await sends[0]).status_code == 201
        bad = await http.post("/__simulator/hold", json={"fiscal_codes": first})
    assert free.status_code == 201
    assert set(sim.record.sends_by_fiscal_code()) == {first, second, third}
    assert bad.status_code == 400


async def test_a_held_send_whose_caller_gave_up_in_process_is_never_processed(
    sim: SimulatorApp,
) -> None:
    code = citizens(sim, Kind.WITH_IO)[0]
    sim.holds.arm([code])
    async with raw(sim) as http:
        key = {"Ocp-Apim-Subscription-Key": TRIBUTI.primary_key}
        held = asyncio.create_task(
            http.post("/api/v1/messages", json=send_body(fiscal_code=code), headers=key)
        )
        await _until_held(http, 1)
        held.cancel()
        with pytest.raises(asyncio.CancelledError):
            await held
        assert sim.holds.held == []
        assert sim.holds.release() == 0
    assert sim.record.sends_by_fiscal_code() == {}
