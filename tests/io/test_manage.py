"""IO's management API: the client against the simulator (the ente's services, paged; a
service; its keys; their regeneration) and the client's Italian errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from io_helpers import TRIBUTI, TRIBUTI_KEYS, FakeClock, client_on, simulator

from appio_core.io.client import SIMULATOR_API_URL, IoClient, RetryPolicy
from appio_core.io.errors import (
    IoServiceNotFound,
    KeyRefused,
    KeyRegenerationUnknown,
    ManageKeyRefused,
    NetworkError,
)
from appio_core.io.manage import KeyType, ManageClient
from appio_core.io.models import TEST_FISCAL_CODE, ApiKeys
from appio_core.io.simulator import SimulatorApp, create_app, demo_config
from appio_core.io.simulator.demo import (
    DEMO_IO_ONLY_SERVICES,
    DEMO_MANAGE_KEY,
    DEMO_ORGANIZATION,
    DEMO_SERVICES,
)

EVERY_DEMO_SERVICE = [*DEMO_SERVICES, *DEMO_IO_ONLY_SERVICES]


def manage_on(app: SimulatorApp | httpx.AsyncBaseTransport) -> ManageClient:
    transport = app if isinstance(app, httpx.AsyncBaseTransport) else httpx.ASGITransport(app=app)
    return ManageClient(SIMULATOR_API_URL, httpx.AsyncClient(transport=transport), rng=lambda: 0.5)


@pytest.fixture
async def manage(sim: SimulatorApp) -> AsyncIterator[ManageClient]:
    client = manage_on(sim)
    yield client
    await client.aclose()


async def test_the_ente_s_services_are_listed_with_name_state_organisation_and_maximum(
    manage: ManageClient,
) -> None:
    services = await manage.all_services(DEMO_MANAGE_KEY)
    assert [s.id for s in services] == [d.io_service_id for d in EVERY_DEMO_SERVICE]
    mensa = services[1]
    assert (mensa.name, mensa.state_label, mensa.organization_name, mensa.max_payment_amount) == (
        "Servizi scolastici - Mensa", "Approvato", DEMO_ORGANIZATION, 50_000,
    )  # fmt: skip


async def test_the_list_comes_in_pages_and_all_services_reads_every_page(
    sim: SimulatorApp, manage: ManageClient
) -> None:
    page = await manage.list_services(DEMO_MANAGE_KEY, limit=2, offset=3)
    assert [s.id for s in page.services] == [d.io_service_id for d in EVERY_DEMO_SERVICE[3:5]]
    assert (page.offset, page.limit, page.count) == (3, 2, 5)
    base = sim.config.services[0]
    services = tuple(
        replace(base, service_id=f"01JMANY{n:04d}", primary_key=f"p-{n:04d}-key",
                secondary_key=f"s-{n:04d}-key")
        for n in range(225)
    )  # fmt: skip
    many = create_app(replace(sim.config, services=services))
    client = manage_on(many)
    assert len(await client.all_services(DEMO_MANAGE_KEY)) == 225
    listed = [e.path for e in many.record.requests if e.operation == "cmsGetServices"]
    assert len(listed) == 3  # pages of 100
    await client.aclose()


async def test_a_service_and_its_keys_are_read(manage: ManageClient) -> None:
    service = await manage.get_service(DEMO_MANAGE_KEY, TRIBUTI.io_service_id)
    assert service.name == "Tributi - TARI"
    assert await manage.get_keys(DEMO_MANAGE_KEY, TRIBUTI.io_service_id) == TRIBUTI_KEYS


async def test_a_regenerated_key_is_refused_and_the_new_one_works(
    sim: SimulatorApp, manage: ManageClient, client: IoClient
) -> None:
    keys = await manage.regenerate_key(DEMO_MANAGE_KEY, TRIBUTI.io_service_id, KeyType.SECONDARY)
    assert keys.primary == TRIBUTI.primary_key
    assert keys.secondary not in (None, TRIBUTI.secondary_key)
    assert await manage.get_keys(DEMO_MANAGE_KEY, TRIBUTI.io_service_id) == keys
    assert keys.secondary is not None
    await client.get_profile(ApiKeys(keys.secondary, None), TEST_FISCAL_CODE)
    with pytest.raises(KeyRefused):
        await client.get_profile(ApiKeys(TRIBUTI.secondary_key, None), TEST_FISCAL_CODE)
    new = await manage.regenerate_key(DEMO_MANAGE_KEY, TRIBUTI.io_service_id, KeyType.PRIMARY)
    assert new.secondary == keys.secondary and new.primary != TRIBUTI.primary_key
    with pytest.raises(KeyRefused):
        await client.get_profile(ApiKeys(TRIBUTI.primary_key, None), TEST_FISCAL_CODE)
    await client.get_profile(ApiKeys(new.primary, None), TEST_FISCAL_CODE)
    refused = [e.status for e in sim.record.requests if e.operation == "getProfileByPOST"]
    assert refused == [200, 401, 401, 200]


async def test_a_wrong_manage_key_is_refused_in_italian(manage: ManageClient) -> None:
    with pytest.raises(ManageKeyRefused) as refused:
        await manage.all_services("not-the-manage-key")
    assert refused.value.message.startswith(
        "La chiave di gestione (manage) è stata rifiutata da IO: copia quella attuale"
        " dall'Area riservata di IO"
    )
    with pytest.raises(ManageKeyRefused):  # a service's key is no manage key
        await manage.get_keys(TRIBUTI.primary_key, TRIBUTI.io_service_id)


async def test_without_a_manage_key_configured_the_simulator_refuses_every_call(
    clock: FakeClock,
) -> None:
    client = manage_on(simulator(clock, manage_key=None))
    with pytest.raises(ManageKeyRefused):
        await client.all_services(DEMO_MANAGE_KEY)
    await client.aclose()


async def test_an_unknown_service_is_not_found_in_italian(manage: ManageClient) -> None:
    with pytest.raises(IoServiceNotFound) as missing:
        await manage.get_keys(DEMO_MANAGE_KEY, "01JNOTANIOSERVICE")
    assert missing.value.message == (
        "IO non ha un servizio con identificativo «01JNOTANIOSERVICE» tra quelli dell'ente:"
        " controlla l'identificativo nell'Area riservata di IO."
    )


def failing(status: int | None) -> httpx.MockTransport:
    """Every request fails: with `status`, or with a connection reset after sending."""

    def answer(request: httpx.Request) -> httpx.Response:
        if status is None:
            raise httpx.ReadError("connection reset", request=request)
        return httpx.Response(status, json={"title": "Internal server error", "status": status})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize("status", [500, 504, None], ids=["500", "504", "reset"])
async def test_a_regeneration_whose_answer_is_lost_is_uncertain_never_repeated(
    status: int | None,
) -> None:
    calls: list[str] = []
    inner = failing(status)

    async def count(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return await inner.handle_async_request(request)

    client = manage_on(httpx.MockTransport(count))
    with pytest.raises(KeyRegenerationUnknown) as unknown:
        await client.regenerate_key(DEMO_MANAGE_KEY, TRIBUTI.io_service_id, KeyType.PRIMARY)
    assert calls == ["PUT"]
    assert unknown.value.message.startswith("Non è possibile sapere se IO ha rigenerato la chiave")


async def test_reads_are_retried_on_temporary_failures_then_refused_in_italian() -> None:
    calls: list[str] = []

    def refused(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        raise httpx.ConnectError("refused", request=request)

    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = ManageClient(
        SIMULATOR_API_URL,
        httpx.AsyncClient(transport=httpx.MockTransport(refused)),
        retry=RetryPolicy(read_attempts=3),
        sleep=sleep,
        rng=lambda: 0.5,
    )
    with pytest.raises(NetworkError):
        await client.all_services(DEMO_MANAGE_KEY)
    assert calls == ["GET"] * 3 and len(sleeps) == 2


async def test_the_demo_s_processes_share_the_regenerated_keys(tmp_path: Path) -> None:
    journal = tmp_path / "simulatore-messaggi.jsonl"
    here, there = (create_app(demo_config(processing_delay=0.0), journal=journal) for _ in "ab")
    manage, client = manage_on(here), client_on(there)
    keys = await manage.regenerate_key(DEMO_MANAGE_KEY, TRIBUTI.io_service_id, KeyType.PRIMARY)
    with pytest.raises(KeyRefused):
        await client.get_profile(ApiKeys(TRIBUTI.primary_key, None), TEST_FISCAL_CODE)
    await client.get_profile(ApiKeys(keys.primary, None), TEST_FISCAL_CODE)
    saved = tmp_path / "simulatore-chiavi.json"
    assert saved.stat().st_mode & 0o777 == 0o600
    assert json.loads(saved.read_text())[TRIBUTI.io_service_id]["primary"] == keys.primary
    restarted = create_app(demo_config(), journal=journal)
    assert restarted.gateway.keys_of(TRIBUTI.io_service_id)["primary"] == keys.primary
    await manage.aclose()
    await client.aclose()
