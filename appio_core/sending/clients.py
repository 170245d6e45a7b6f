"""The worker's way to IO: one HTTP stack, one client per IO account (with the account's
limiter, which watches the account's shared budget, and its request tally), the services'
keys."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

from appio_core.accounts.security import KeyBox
from appio_core.io.budget import DEFAULT_RESERVE_PERCENT
from appio_core.io.budget_pacing import BudgetWatch
from appio_core.io.client import IoClient
from appio_core.io.http import IoHttp, as_io_http, make_http_client
from appio_core.io.models import ApiKeys
from appio_core.io.rate_limit import limiter_for_account
from appio_core.io.tally import RequestTally
from appio_core.sending import store
from appio_core.storage.db import session_engine


class Clients:
    def __init__(
        self,
        base_url: str,
        box: KeyBox,
        http: IoHttp | httpx.AsyncClient | None,
        reserve_percent: int = DEFAULT_RESERVE_PERCENT,
    ) -> None:
        self.base_url = base_url
        self.reserve_percent = reserve_percent
        self.box = box
        self._http = as_io_http(http) if http is not None else None
        self._owns_http = http is None
        self._clients: dict[int, IoClient] = {}
        self._tallies: dict[int, RequestTally] = {}

    def for_account(self, session: Session, account_id: int) -> IoClient:
        client = self._clients.get(account_id)
        if client is None:
            account = store.account(session, account_id)
            if self._http is None:
                self._http = make_http_client(self.base_url)
            requests = account.rate_limit_requests
            window = float(account.rate_limit_window_seconds)
            watch = BudgetWatch(
                session_engine(session), account_id, requests, window, self.reserve_percent
            )
            limiter = limiter_for_account(account.name, requests, window, watch)
            tally = self._tallies.setdefault(account_id, RequestTally())
            client = IoClient(self.base_url, self._http, limiter, tally=tally)
            self._clients[account_id] = client
        return client

    def keys(self, session: Session, service_id: int) -> ApiKeys:
        return store.service_keys(session, service_id, self.box)

    def take_counts(self) -> dict[int, dict[int, tuple[int, int]]]:
        """The requests made to IO since the last call: {account: {minute: (requests,
        429s)}}, accounts without requests left out."""
        taken = {account_id: tally.take() for account_id, tally in self._tallies.items()}
        return {account_id: counts for account_id, counts in taken.items() if counts}

    async def close(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None
        self._clients.clear()
