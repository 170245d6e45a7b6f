"""Status reads: IO's status of the account's sent messages, when the account has nothing
to send (lower priority than sends, the same limiter). The rules of what a read changes
are appio_core.notifications.status's, shared with «Aggiorna stato»."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyUnreadable
from appio_core.io.client import IoClient
from appio_core.io.errors import IoPermanentError, IoRetryableError, MessageNotFound
from appio_core.io.models import ApiKeys
from appio_core.notifications.change import NotificationChange
from appio_core.notifications.status import record_status_changes, status_values, unread_values
from appio_core.sending import store
from appio_core.sending.change_writes import StatusRead, write_changes
from appio_core.sending.clients import Clients
from appio_core.sending.config import DispatcherConfig
from appio_core.sending.leases import Leases
from appio_core.storage.db import session_scope

log = logging.getLogger(__name__)


class StatusReader:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        leases: Leases,
        clients: Clients,
        config: DispatcherConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.leases = leases
        self.clients = clients
        self.config = config
        self._clock = clock

    async def read_due(self, account_id: int) -> bool:
        """Reads one batch of due statuses; False when none was due."""
        with session_scope(self.sessions) as session:
            self.leases.renew(session, account_id)
            rows = store.due_status_reads(
                session, account_id, self._clock(), self.config.status_batch
            )
            if not rows:
                return False
            client = self.clients.for_account(session, account_id)
            keys = self._readable_keys(session, {r.service_id for r in rows})
        changes = await asyncio.gather(
            *(self._read(client, keys.get(r.service_id), r) for r in rows)
        )
        with session_scope(self.sessions) as session:
            now = self._clock()
            # Written only on the rows no other read reached meanwhile («Aggiorna stato»,
            # the worker that took the account over): the newer status stands.
            fence = StatusRead({r.id: r.status_checked_at for r in rows})
            dropped = write_changes(
                session, dict(zip((r.id for r in rows), changes, strict=True)), now, fence
            )
            kept = [(r, c) for r, c in zip(rows, changes, strict=True) if r.id not in dropped]
            record_status_changes(session, [r for r, _ in kept], [c for _, c in kept])
            for flow_id in {r.flow_id for r in rows if r.flow_id is not None}:
                store.refresh_flow(session, flow_id)
        return True

    def _readable_keys(self, session: Session, service_ids: set[int]) -> dict[int, ApiKeys]:
        """The keys of the services that can be decrypted; the others' statuses wait (the
        flows of such a service are paused with a note by the claiming)."""
        keys = {}
        for service_id in service_ids:
            try:
                keys[service_id] = self.clients.keys(session, service_id)
            except KeyUnreadable:
                log.warning(
                    "statuses of service %s not read: its keys cannot be decrypted", service_id
                )
        return keys

    async def _read(self, client: IoClient, keys: ApiKeys | None, row: Any) -> NotificationChange:
        now = self._clock()
        interval = self.config.status_min_interval
        if keys is None:
            return unread_values(row, now, interval)
        try:
            status = await client.get_message_status(keys, row.fiscal_code, row.io_message_id)
        except (MessageNotFound, IoRetryableError, IoPermanentError) as exc:
            # Not readable yet (IO may answer 404 before processing) or a passing failure:
            # try again later, within the window.
            log.info("status of %s not read: %s", row.io_message_id, exc.code)
            return unread_values(row, now, interval)
        return status_values(row, status, now, interval)
