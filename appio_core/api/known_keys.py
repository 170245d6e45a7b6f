"""The keys this API process found valid a moment ago, so that a request does not read its
integration again: the authentication was a transaction of its own, and a thread, before
each request's work (a quarter of `POST /notifications`' time; bench/RESULTS-api.md).

What is kept never changes for a key (its integration's id, name and scopes; its expiry,
checked at each use). Whether the key still holds, not revoked, is checked by the core in
each request's own transaction, as for every action an integration takes
(accounts.permissions): a key revoked meanwhile is refused there (401), and forgotten here,
so that its next request is refused, and logged, by the full check.

Keys are kept by their hash, for at most KNOWN_FOR seconds, which also paces the «last
used» time (written by the full check, at most once a minute). Only valid keys are kept:
wrong ones cannot fill the memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from appio_core.integrations.keys import Caller, key_hash
from appio_core.storage.models import utcnow

KNOWN_FOR = 30.0  # seconds
MAX_KNOWN = 1000  # integrations: a comune has a handful


@dataclass(frozen=True)
class _Known:
    caller: Caller
    until: float  # time.monotonic()


@dataclass
class KnownKeys:
    known_for: float = KNOWN_FOR
    _known: dict[str, _Known] = field(default_factory=dict)

    def caller(self, key: str, origin: str | None, now: datetime | None = None) -> Caller | None:
        """The caller of a key found valid less than `known_for` seconds ago and not
        expired since, acting from `origin`; None when the key must be checked."""
        hashed = key_hash(key)
        known = self._known.get(hashed)
        if known is None:
            return None
        expires_at = known.caller.expires_at
        if time.monotonic() >= known.until or (
            expires_at is not None and expires_at <= (now or utcnow())
        ):
            self._known.pop(hashed, None)
            return None
        actor = replace(known.caller.actor, origin=origin)
        return replace(known.caller, actor=actor)

    def remember(self, key: str, caller: Caller) -> None:
        if len(self._known) >= MAX_KNOWN:
            self._known.clear()
        self._known[key_hash(key)] = _Known(caller, time.monotonic() + self.known_for)

    def forget(self, key: str) -> None:
        self._known.pop(key_hash(key), None)

    def forget_bearer(self, authorization: str) -> None:
        """The key of an «Authorization: Bearer …» header refused by the core (revoked since
        it was known): its next request is checked, and refused, in full."""
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() == "bearer" and key.strip():
            self.forget(key.strip())
