"""IO's management API, with the ente's *manage* key: the ente's services on IO, their keys,
and the regeneration of a key (io-functions-services.openapi.yaml, `/manage/services...`).

The same header as the services' keys carries the manage key (`Ocp-Apim-Subscription-Key`,
security definition `ManageSubscriptionKey`). What is retried here, and why it is safe:
a 429 (IO did not process the request), and the reads on IO's temporary failures. A
regeneration whose answer was lost raises `KeyRegenerationUnknown`: IO may have replaced
the key, and only reading the keys again tells (appio_core.accounts.key_regeneration).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from appio_core.io.client import KEY_HEADER, RetryPolicy, resolve_base_url
from appio_core.io.errors import (
    IoError,
    IoRetryableError,
    IoServiceNotFound,
    KeyRegenerationUnknown,
    ManageForbidden,
    ManageKeyRefused,
    NetworkError,
    RateLimited,
    ServiceUnavailable,
    UnexpectedResponse,
)
from appio_core.io.http import Answer, IoHttp, TransportFailure, as_io_http, make_http_client
from appio_core.io.models import ApiKeys

log = logging.getLogger(__name__)

T = TypeVar("T")
# The spec's largest page of `cmsGetServices`.
PAGE_SIZE = 100


class KeyType(StrEnum):
    """`keyType` of `cmsRegenerateServiceKey`, as the spec spells it."""

    PRIMARY = "primary"
    SECONDARY = "secondary"

    @property
    def label(self) -> str:
        return "primaria" if self is KeyType.PRIMARY else "secondaria"


# `CmsServiceLifecycleStatusType`, in the words of IO's back office.
STATE_LABELS = {
    "draft": "Bozza",
    "submitted": "In revisione",
    "approved": "Approvato",
    "rejected": "Respinto",
    "deleted": "Eliminato",
}


@dataclass(frozen=True)
class IoService:
    """A service of the ente as IO's management API describes it."""

    id: str
    name: str
    state: str  # CmsServiceLifecycleStatusType: draft, submitted, approved, rejected, deleted
    organization_name: str
    organization_fiscal_code: str
    max_payment_amount: int  # euro cents; 0 when IO has none set

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state or "sconosciuto")


@dataclass(frozen=True)
class ServicePage:
    services: tuple[IoService, ...]
    offset: int
    limit: int
    count: int  # the ente's services in all


class ManageClient:
    def __init__(
        self,
        base_url: str,
        http: IoHttp | httpx.AsyncClient,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        self.http = as_io_http(http)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- operations ----------------------------------------------------------------

    async def list_services(
        self, manage_key: str, *, limit: int = PAGE_SIZE, offset: int = 0
    ) -> ServicePage:
        """One page of the ente's services (`cmsGetServices`)."""
        body = await self._read(manage_key, f"/manage/services?limit={limit}&offset={offset}")
        values = body.get("value") if isinstance(body, dict) else None
        if not isinstance(values, list):
            raise UnexpectedResponse(200, "service list without value")
        paging = body.get("pagination") or {}
        services = tuple(_service(v) for v in values)
        return ServicePage(
            services=services,
            offset=int(paging.get("offset", offset)),
            limit=int(paging.get("limit", limit)),
            count=int(paging.get("count", offset + len(services))),
        )

    async def all_services(self, manage_key: str) -> list[IoService]:
        """Every service of the ente, page after page."""
        found: list[IoService] = []
        while True:
            page = await self.list_services(manage_key, offset=len(found))
            found.extend(page.services)
            if not page.services or len(found) >= page.count:
                return found

    async def get_service(self, manage_key: str, service_id: str) -> IoService:
        body = await self._read(manage_key, _service_path(service_id), service_id)
        return _service(body)

    async def get_keys(self, manage_key: str, service_id: str) -> ApiKeys:
        body = await self._read(manage_key, f"{_service_path(service_id)}/keys", service_id)
        return _keys(body)

    async def regenerate_key(self, manage_key: str, service_id: str, key_type: KeyType) -> ApiKeys:
        """Replaces one key of the service on IO; returns both keys as they are now.

        Never retried once it may have reached IO: KeyRegenerationUnknown then."""
        path = f"{_service_path(service_id)}/keys/{key_type.value}"
        try:
            response = await self._exchange(manage_key, "PUT", path)
        except TransportFailure as exc:
            if exc.surely_not_sent:
                raise NetworkError(exc.detail) from exc
            raise KeyRegenerationUnknown(detail=exc.detail) from exc
        if response.status_code != 200:
            raise _error_for(response, service_id, unsure=True)
        return _keys(_json(response))

    # -- plumbing ------------------------------------------------------------------

    async def _read(self, manage_key: str, path: str, service_id: str | None = None) -> Any:
        """A GET, retried on IO's temporary failures."""
        attempt = 1
        while True:
            try:
                try:
                    response = await self._exchange(manage_key, "GET", path)
                except TransportFailure as exc:
                    raise NetworkError(exc.detail) from exc
                if response.status_code != 200:
                    raise _error_for(response, service_id, unsure=False)
                return _json(response)
            except RateLimited:
                raise  # already retried up to the cap
            except IoRetryableError as exc:
                if attempt >= self.retry.read_attempts:
                    raise
                wait = exc.retry_after or self.retry.backoff(attempt, self._rng)
                log.info("IO manage read failed (%s), retrying in %.1f s", exc.code, wait)
                await self._sleep(wait)
                attempt += 1

    async def _exchange(self, manage_key: str, method: str, path: str) -> Answer:
        """One request, its 429s absorbed up to the cap (IO did not process them)."""
        throttled = 0
        while True:
            response = await self.http.request(
                method, self.base_url + path, None, {KEY_HEADER: manage_key}
            )
            if response.status_code != 429:
                return response
            throttled += 1
            retry_after = _seconds(response.headers.get("x-rate-limit-retry-after"))
            if throttled > self.retry.max_throttled:
                raise RateLimited(retry_after, _detail(response))
            await self._sleep(max(retry_after or 0.0, self.retry.backoff(throttled, self._rng)))


def make_manage_client(base_url: str) -> ManageClient:
    """A ManageClient on the best transport for `base_url` ("simulator" runs in-process)."""
    return ManageClient(base_url, make_http_client(base_url))


def with_manage_client(base_url: str, call: Callable[[ManageClient], Awaitable[T]]) -> T:
    """Runs `call` with a client of IO's management API, for the pages and the CLI."""

    async def run() -> T:
        client = make_manage_client(base_url)
        try:
            return await call(client)
        finally:
            await client.aclose()

    return asyncio.run(run())


def _service_path(service_id: str) -> str:
    return f"/manage/services/{quote(service_id, safe='')}"


def _json(response: Answer) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _detail(response: Answer) -> str | None:
    body = _json(response)
    if isinstance(body, dict):
        found = body.get("detail") or body.get("message")
        return str(found) if found else None
    return response.text[:200] or None


def _error_for(response: Answer, service_id: str | None, *, unsure: bool) -> IoError:
    status = response.status_code
    body = _json(response)
    title = str(body["title"]) if isinstance(body, dict) and body.get("title") else None
    detail = _detail(response)
    if status == 401:
        return ManageKeyRefused(detail)
    if status == 403:
        return ManageForbidden(title, detail)
    if status == 404 and service_id is not None:
        return IoServiceNotFound(service_id)
    if status == 503 or (status >= 500 and not unsure):
        return ServiceUnavailable(status, detail, _seconds(response.headers.get("retry-after")))
    if status >= 500:
        return KeyRegenerationUnknown(status, detail)
    return UnexpectedResponse(status, detail)


def _service(body: Any) -> IoService:
    if not isinstance(body, dict) or not body.get("id") or not body.get("name"):
        raise UnexpectedResponse(200, "service without id or name")
    status = body.get("status")
    organization = body.get("organization")
    if not isinstance(organization, dict):
        organization = {}
    amount = body.get("max_allowed_payment_amount")
    return IoService(
        id=str(body["id"]),
        name=str(body["name"]),
        state=str(status.get("value", "")) if isinstance(status, dict) else "",
        organization_name=str(organization.get("name") or ""),
        organization_fiscal_code=str(organization.get("fiscal_code") or ""),
        max_payment_amount=amount if isinstance(amount, int) and amount >= 0 else 0,
    )


def _keys(body: Any) -> ApiKeys:
    primary = body.get("primary_key") if isinstance(body, dict) else None
    secondary = body.get("secondary_key") if isinstance(body, dict) else None
    if not isinstance(primary, str) or not isinstance(secondary, str) or not primary:
        raise UnexpectedResponse(200, "keys without primary_key or secondary_key")
    return ApiKeys(primary, secondary)
