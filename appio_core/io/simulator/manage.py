"""IO's management API as the simulator plays it: `/api/v1/manage/services...` with the
ente's *manage* key (`ManageSubscriptionKey` of io-functions-services.openapi.yaml).

The operations the app uses, as the spec describes them: the ente's services, paged
(`cmsGetServices`: `limit` 1-100, default 20, `offset`; `CmsServicePagination`), one service
(`cmsGetService`: `CmsServiceLifecycle`), its keys (`cmsGetServiceKeys`:
`CmsSubscriptionKeys`) and the regeneration of one of them (`cmsRegenerateServiceKey`,
`PUT .../keys/{keyType}` with keyType `primary` or `secondary`). A regenerated key is
refused from then on by the message and profile operations (401), the new one works.

The other operations of the family (create, update, review, publish...) are not played:
they answer 404, as a path IO does not serve.

With a `keys_file` (the demo's in-process simulator, one per process) the regenerated
keys are written there and read back by the other processes' simulators, so that the
Streamlit server and an `appio` command see the same keys.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from appio_core.io.models import TEST_FISCAL_CODE
from appio_core.io.simulator.asgi import API_PREFIX, Answer, problem
from appio_core.io.simulator.config import SimService, SimulatorConfig
from appio_core.io.simulator.gateway import Gateway
from appio_core.io.simulator.record import Record, RequestEntry

MANAGE_PREFIX = f"{API_PREFIX}/manage/services"
KEY_TYPES = ("primary", "secondary")
KEYS_FILE = "simulatore-chiavi.json"
# When the simulated services were last changed on IO's back office (a fixed moment).
LAST_UPDATE = "2026-01-15T09:00:00.000Z"


def manage_route(method: str, path: str) -> tuple[str, dict[str, str]]:
    """The operationId of a path under /manage/services ("unknown" when not played)."""
    parts = [unquote(p) for p in path[len(MANAGE_PREFIX) :].split("/") if p]
    if method == "GET" and not parts:
        return "cmsGetServices", {}
    if method == "GET" and len(parts) == 1:
        return "cmsGetService", {"serviceId": parts[0]}
    if method == "GET" and len(parts) == 2 and parts[1] == "keys":
        return "cmsGetServiceKeys", {"serviceId": parts[0]}
    if method == "PUT" and len(parts) == 3 and parts[1] == "keys":
        return "cmsRegenerateServiceKey", {"serviceId": parts[0], "keyType": parts[2]}
    return "unknown", {}


class ManageApi:
    def __init__(
        self,
        config: SimulatorConfig,
        gateway: Gateway,
        record: Record,
        clock: Callable[[], float],
        keys_file: Path | None = None,
    ) -> None:
        self.config = config
        self.gateway = gateway
        self.record = record
        self._clock = clock
        self._keys_file = keys_file
        self._seen: int | None = None  # the keys file's mtime when last read
        self.sync()

    @staticmethod
    def handles(path: str) -> bool:
        return path == MANAGE_PREFIX or path.startswith(MANAGE_PREFIX + "/")

    def handle(self, method: str, path: str, query: bytes, key: str | None) -> Answer:
        operation, params = manage_route(method, path)
        service_id = params.get("serviceId")
        if operation == "unknown":
            answer = Answer(404, {"statusCode": 404, "message": "Resource not found"})
        elif not key or self.config.manage_key is None or key != self.config.manage_key:
            answer = self.gateway.refused_key()
        else:
            answer = self._operation(operation, params, parse_qs(query.decode()))
        self.record.requests.append(
            RequestEntry(
                self._clock(), method, path, operation, service_id, "manage", answer.status
            )
        )
        return answer

    def _operation(
        self, operation: str, params: dict[str, str], query: dict[str, list[str]]
    ) -> Answer:
        if operation == "cmsGetServices":
            return self._list(query)
        service = self._service(params["serviceId"])
        if service is None:
            return problem(404, "Not found", f"Service {params['serviceId']} not found")
        if operation == "cmsGetService":
            return Answer(200, lifecycle(service))
        if operation == "cmsGetServiceKeys":
            return Answer(200, self._keys(service))
        key_type = params["keyType"]
        if key_type not in KEY_TYPES:
            return problem(400, "Bad parameters", f"keyType must be one of {', '.join(KEY_TYPES)}")
        old = self.gateway.keys_of(service.service_id)[key_type]
        self.gateway.replace_key(service.service_id, key_type, self._new_key(old))
        self._save()
        return Answer(200, self._keys(service))

    def _new_key(self, old: str) -> str:
        """32 hex digits like IO's keys; from the seed and the old key, so that a run can be
        replayed, and never the old key again."""
        return hashlib.sha256(f"{self.config.seed}:{old}".encode()).hexdigest()[:32]

    def _list(self, query: dict[str, list[str]]) -> Answer:
        try:
            limit = int(query.get("limit", ["20"])[0])
            offset = int(query.get("offset", ["0"])[0])
        except ValueError:
            return problem(400, "Bad parameters", "limit and offset must be integers")
        if not 1 <= limit <= 100 or offset < 0:
            return problem(400, "Bad parameters", "limit must be 1-100, offset 0 or more")
        services = self.config.services
        page = services[offset : offset + limit]
        return Answer(
            200,
            {
                "value": [lifecycle(s) for s in page],
                "pagination": {"offset": offset, "limit": limit, "count": len(services)},
            },
        )

    def _service(self, service_id: str) -> SimService | None:
        return next((s for s in self.config.services if s.service_id == service_id), None)

    def _keys(self, service: SimService) -> dict[str, str]:
        keys = self.gateway.keys_of(service.service_id)
        return {"primary_key": keys["primary"], "secondary_key": keys["secondary"]}

    # -- the keys shared between processes (the demo) --------------------------------

    def sync(self) -> None:
        """Takes the keys another process regenerated (a stat when nothing changed)."""
        if self._keys_file is None:
            return
        try:
            mtime = self._keys_file.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self._seen:
            return
        try:
            saved = json.loads(self._keys_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # being written: read it at the next request
        self._seen = mtime
        for service_id, keys in saved.items():
            if self._service(service_id) is None:
                continue
            current = self.gateway.keys_of(service_id)
            for kind in KEY_TYPES:
                if keys.get(kind) and keys[kind] != current[kind]:
                    self.gateway.replace_key(service_id, kind, keys[kind])

    def _save(self) -> None:
        if self._keys_file is None:
            return
        data = {s.service_id: self.gateway.keys_of(s.service_id) for s in self.config.services}
        partial = self._keys_file.with_name(f".{self._keys_file.name}.{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        partial.replace(self._keys_file)
        self._seen = self._keys_file.stat().st_mtime_ns


def lifecycle(service: SimService) -> dict[str, Any]:
    """The service as `CmsServiceLifecycle`."""
    recipients = sorted(service.authorized_recipients | {TEST_FISCAL_CODE})
    return {
        "id": service.service_id,
        "status": {"value": service.status},
        "last_update": LAST_UPDATE,
        "name": service.name,
        "description": service.description or f"Servizio «{service.name}».",
        "organization": {
            "name": service.organization_name,
            "fiscal_code": service.organization_fiscal_code,
        },
        "require_secure_channel": False,
        "authorized_recipients": recipients if service.limited else [],
        "authorized_cidrs": [],
        "max_allowed_payment_amount": service.max_payment_amount,
        "metadata": {"scope": "LOCAL"},
    }
