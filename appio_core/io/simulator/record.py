"""Everything the simulator received and created, for tests to assert on.

`messages` holds the messages IO created, including those whose answer was lost to a
fault: the citizen got them even if the client never learnt the id. That is what a
test must look at to prove that no citizen got a message twice.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to build, once per request
class RequestEntry:
    at: float  # seconds on the simulator's clock
    method: str
    path: str
    operation: str  # IO's operationId, "unknown" for anything else
    service_id: str | None  # None when the key was missing or unknown
    key: str | None  # "primary" or "secondary"
    status: int
    fault: str | None = None  # the fault injected into the answer, if any
    fiscal_code: str | None = None
    message_id: str | None = None


@dataclass(slots=True)
class StoredMessage:
    id: str
    service_id: str
    fiscal_code: str
    created_at: str  # ISO-8601 UTC, as IO returns it
    accepted_at: float  # on the simulator's clock, for the status timeline
    feature_level_type: str
    content: dict[str, Any]
    time_to_live: int | None
    final_status: str  # where the message ends up after the processing delay
    sequence: int  # order of creation: drives the read and paid draws, unlike the random id
    # The call-to-action buttons as the app reads them from the markdown's front matter.
    cta: list[dict[str, str]] | None = None

    @property
    def subject(self) -> str:
        return str(self.content.get("subject", ""))


class Record:
    """What the simulator received. With a `journal` file, the messages it created are also
    appended there and read back at start, so that a restarted demo still answers status
    reads of the messages sent before (the requests are not kept: they only serve tests)."""

    def __init__(
        self, journal: Path | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.requests: list[RequestEntry] = []
        self.messages: dict[str, StoredMessage] = {}
        self._journal = journal
        self._clock = clock
        if journal is not None and journal.exists():
            self._load(journal)

    @property
    def last_sequence(self) -> int:
        return max((m.sequence for m in self.messages.values()), default=0)

    def store(self, message: StoredMessage) -> None:
        self.messages[message.id] = message
        if self._journal is not None:
            line = asdict(message)
            # The simulator's clock starts again with the process: keep the wall time.
            line["accepted_at"] = time.time() - (self._clock() - message.accepted_at)
            with self._journal.open("a", encoding="utf-8") as journal:
                journal.write(json.dumps(line, ensure_ascii=False) + "\n")

    def _load(self, journal: Path) -> None:
        now_wall, now = time.time(), self._clock()
        with journal.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    data = json.loads(line)
                    data["accepted_at"] = now - (now_wall - float(data["accepted_at"]))
                    message = StoredMessage(**data)
                except (ValueError, TypeError, KeyError):
                    continue  # a line cut by a crash: the rest is still good
                self.messages[message.id] = message

    def clear(self) -> None:
        self.requests.clear()
        self.messages.clear()

    def sends_by_fiscal_code(self, service_id: str | None = None) -> dict[str, list[str]]:
        """The ids of the messages created for each citizen, in order of creation."""
        sends: dict[str, list[str]] = defaultdict(list)
        for message in self.messages.values():
            if service_id is None or message.service_id == service_id:
                sends[message.fiscal_code].append(message.id)
        return dict(sends)

    def duplicates(self, service_id: str | None = None) -> dict[str, int]:
        """Citizens who got the same subject more than once, with the count."""
        counts = Counter(
            (m.fiscal_code, m.subject)
            for m in self.messages.values()
            if service_id is None or m.service_id == service_id
        )
        return {cf: n for (cf, _), n in counts.items() if n > 1}

    def operations(self) -> Counter[str]:
        return Counter(entry.operation for entry in self.requests)

    def to_json(self, with_requests: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "request_count": len(self.requests),
            "operations": dict(self.operations()),
            "statuses": dict(Counter(str(e.status) for e in self.requests)),
            "messages": [
                {
                    "id": m.id,
                    "service_id": m.service_id,
                    "fiscal_code": m.fiscal_code,
                    "subject": m.subject,
                    "created_at": m.created_at,
                    "cta": m.cta,
                    "require_secure_channels": bool(m.content.get("require_secure_channels")),
                }
                for m in self.messages.values()
            ],
        }
        if with_requests:
            data["requests"] = [asdict(entry) for entry in self.requests]
        return data
