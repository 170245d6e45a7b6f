"""Claiming: the next batch of rows of one of the account's flows, with what is needed to
send them (the account's client, the service's keys)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.security import KeyUnreadable
from appio_core.io.client import IoClient
from appio_core.io.models import ApiKeys
from appio_core.sending import store
from appio_core.sending.clients import Clients
from appio_core.sending.leases import Leases
from appio_core.sending.outcomes import INACTIVE_SERVICE_NOTE, UNREADABLE_KEY_NOTE
from appio_core.sending.store import Claimed, FlowWork
from appio_core.storage.db import session_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Batch:
    account_id: int
    flow: FlowWork
    client: IoClient
    keys: ApiKeys
    rows: list[Claimed]


def claim_batch(
    sessions: sessionmaker[Session],
    leases: Leases,
    clients: Clients,
    clock: Callable[[], datetime],
    account_id: int,
    size: int,
) -> Batch | None:
    """A batch of the first flow of the account with rows to send now; None when none is
    left. A flow found without such rows is finished if it has nothing left at all."""
    with session_scope(sessions) as session:
        flows = store.flows_to_send(session, account_id, clock())
    for flow in flows:
        with session_scope(sessions) as session:
            leases.renew(session, account_id)
            if not store.service_active(session, flow.service_id):
                # Deactivated meanwhile: nothing more goes out until it is reactivated and
                # an operator resumes the flow, which the note asks for.
                log.warning("flow %s paused: its service is deactivated", flow.id)
                store.pause_flow(session, flow.id, INACTIVE_SERVICE_NOTE)
                continue
            rows = store.claim(session, flow.id, leases.worker_id, clock(), size)
            client = clients.for_account(session, account_id)
            if not rows:
                store.refresh_flow(session, flow.id)
                continue
            # The keys after the claim, in its transaction: a regeneration's switch of the
            # keys then either comes after this batch's rows are «in invio» (and waits for
            # them) or before the keys are read (appio_core.accounts.key_regeneration).
            try:
                keys = clients.keys(session, flow.service_id)
            except KeyUnreadable:
                # The secret key changed: nothing of this service can be sent until an
                # administrator fixes it. Waiting silently «In invio» would hide that.
                log.warning("flow %s paused: its service's keys cannot be decrypted", flow.id)
                store.release_unstarted(session, [r.id for r in rows], leases.worker_id, clock())
                store.pause_flow(session, flow.id, UNREADABLE_KEY_NOTE)
                continue
        return Batch(account_id, flow, client, keys, rows)
    return None
