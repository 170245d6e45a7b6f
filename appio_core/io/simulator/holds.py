"""Message requests held on demand, so that a test can act while a send is in flight: IO
has received the request and not processed it yet, and answers only when the test says so.

- `POST /__simulator/hold` `{"fiscal_codes": [...], "count": N}`: the next message POST
  for each of these codici fiscali is held (once each), and so are the next N message
  POSTs of anyone.
- `GET /__simulator/held`: the requests held now (codice fiscale, since when, in order of
  arrival) and what is still armed. A test polls it to know that a send is in flight.
- `POST /__simulator/release` `{"fiscal_codes": [...]}` (`{}`: all): those requests go on
  to IO's processing (the message is created then, the answer sent; when the client has
  gone meanwhile the message is still created, as on IO), and those codici fiscali are
  disarmed (`{}`: everything).

Profile checks and status reads are never held. In-process (httpx.ASGITransport) the
request is part of the caller's task: cancelling the caller drops it unprocessed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from appio_core.io.simulator.operations import decode
from appio_core.io.simulator.validation import Invalid


@dataclass
class HeldRequest:
    fiscal_code: str | None
    since: float  # on the simulator's clock
    gate: asyncio.Event = field(default_factory=asyncio.Event)


class Holds:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._codes: set[str] = set()
        self._count = 0
        self.held: list[HeldRequest] = []

    @property
    def armed(self) -> bool:
        """Cheap enough for every request: nothing else is looked at when False."""
        return self._count > 0 or bool(self._codes)

    def arm(self, fiscal_codes: Iterable[str] = (), count: int = 0) -> None:
        if count < 0:
            raise ValueError("count must not be negative")
        self._codes.update(fiscal_codes)
        self._count += count

    async def wait_if_held(self, body: bytes) -> None:
        """Holds this message POST until it is released, when a hold applies to it."""
        fiscal_code = _fiscal_code(body)
        if fiscal_code is not None and fiscal_code in self._codes:
            self._codes.discard(fiscal_code)
        elif self._count > 0:
            self._count -= 1
        else:
            return
        held = HeldRequest(fiscal_code, self._clock())
        self.held.append(held)
        try:
            await held.gate.wait()
        finally:
            if held in self.held:  # cancelled while held
                self.held.remove(held)

    def release(self, fiscal_codes: Iterable[str] | None = None) -> int:
        """Lets the requests go (all, or those of these codici fiscali) and disarms the
        same; returns how many were released."""
        chosen = None if fiscal_codes is None else set(fiscal_codes)
        if chosen is None:
            self._codes.clear()
            self._count = 0
        else:
            self._codes -= chosen
        going = [h for h in self.held if chosen is None or h.fiscal_code in chosen]
        for held in going:
            self.held.remove(held)
            held.gate.set()
        return len(going)

    def to_json(self) -> dict[str, Any]:
        return {
            "held": [{"fiscal_code": h.fiscal_code, "since": h.since} for h in self.held],
            "armed": {"fiscal_codes": sorted(self._codes), "count": self._count},
        }


def _fiscal_code(body: bytes) -> str | None:
    try:
        data = decode(body)
    except Invalid:
        return None
    code = data.get("fiscal_code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None
