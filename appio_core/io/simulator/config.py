"""What the simulator knows: accounts, services and their keys, the citizens' mix, faults."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from appio_core.errors import InvalidInput
from appio_core.io.models import TEST_FISCAL_CODE
from appio_core.io.simulator.demo import (
    DEMO_ACCOUNT,
    DEMO_IO_ONLY_SERVICES,
    DEMO_MANAGE_KEY,
    DEMO_ORGANIZATION,
    DEMO_ORGANIZATION_FISCAL_CODE,
    DEMO_SERVICES,
)


@dataclass(frozen=True)
class SimAccount:
    """An IO account; `requests` = 0 means no rate limit (a few real accounts have none)."""

    name: str
    requests: int = 150
    window: float = 5.0


@dataclass(frozen=True)
class SimService:
    service_id: str
    name: str
    primary_key: str
    secondary_key: str
    account: str = "default"
    # A "limited" key reaches only its authorised recipients (always the test citizen).
    limited: bool = False
    authorized_recipients: frozenset[str] = frozenset()
    max_payment_amount: int = 1_000_000
    # The permission groups PagoPA grants the service's subscription (appio_core.io.groups):
    # sending at all (ApiMessageWrite, or ApiLimitedMessageWrite when `limited`), checking
    # profiles (ApiLimitedProfileRead), premium messages (ApiMessageWriteAdvanced), a payee
    # other than the ente (ApiMessageWriteWithPayee, granted to very few services).
    can_send: bool = True
    can_check_profiles: bool = True
    advanced: bool = True
    payee: bool = False
    organization_fiscal_code: str = "00000000000"
    # What IO's management API says of the service (simulator/manage.py).
    organization_name: str = "Ente di prova"
    description: str = ""
    status: str = "approved"  # draft, submitted, approved, rejected, deleted

    def may_reach(self, fiscal_code: str) -> bool:
        return (
            not self.limited
            or fiscal_code == TEST_FISCAL_CODE
            or fiscal_code in self.authorized_recipients
        )


@dataclass(frozen=True)
class Faults:
    """Failures on demand, drawn per API request (never on /__simulator)."""

    latency: float = 0.0  # seconds added to every answer
    latency_jitter: float = 0.0  # plus up to this many seconds, drawn per answer
    error_500_rate: float = 0.0
    error_503_rate: float = 0.0
    timeout_rate: float = 0.0  # the answer comes after `timeout_seconds`
    drop_rate: float = 0.0  # the connection is closed without a complete answer
    timeout_seconds: float = 35.0  # longer than the client's read timeout
    # Share of the faulted sends (500, timeout, drop) that IO had created before
    # failing: those citizens do get the message, which is why the client cannot
    # retry such a send.
    created_share: float = 0.5

    @classmethod
    def from_json(cls, data: dict[str, Any], base: Faults | None = None) -> Faults:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InvalidInput(f"Guasti sconosciuti: {', '.join(sorted(unknown))}.")
        values = {k: _number(k, v) for k, v in data.items()}
        for name, value in values.items():
            if value < 0 or (name.endswith(("_rate", "_share")) and value > 1):
                raise InvalidInput(f"Valore non valido per {name}: {value}.")
        return replace(base or cls(), **values)

    def to_json(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _number(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"Valore non valido per {name}: {value!r}.") from None


@dataclass(frozen=True)
class SimulatorConfig:
    services: tuple[SimService, ...]
    accounts: tuple[SimAccount, ...] = ()
    seed: int = 0
    rate_limit: bool = True
    # Seconds a message stays ACCEPTED before it becomes PROCESSED or REJECTED.
    processing_delay: float = 2.0
    # Shares of the deterministic population of citizens.
    no_io_share: float = 0.10
    blocked_share: float = 0.05
    email_share: float = 0.60
    read_share: float = 0.50  # ADVANCED messages read after processing
    paid_share: float = 0.30  # ADVANCED payment messages paid after processing
    # IO stopped returning the `notification` block in July 2026; switch it on to
    # simulate the older behaviour (the client must handle both).
    email_notifications: bool = False
    faults: Faults = field(default_factory=Faults)
    # Served over a socket (`appio simulator`) rather than in-process through
    # httpx.ASGITransport: faults are produced differently in the two cases.
    served: bool = False
    # The ente's key of IO's management API (/manage/services...); None: every call to it
    # is refused (401), as with a key that IO does not know.
    manage_key: str | None = None

    def account(self, name: str) -> SimAccount:
        for account in self.accounts:
            if account.name == name:
                return account
        return SimAccount(name)


def demo_config(**overrides: Any) -> SimulatorConfig:
    """The demo services, all on the demo account (150 per 5 s), those the demo's database
    has and those it can import from IO, and the demo's manage key."""
    services = tuple(
        SimService(
            service_id=demo.io_service_id,
            name=demo.name,
            primary_key=demo.primary_key,
            secondary_key=demo.secondary_key,
            account=DEMO_ACCOUNT,
            limited=demo.limited,
            max_payment_amount=demo.max_payment_amount,
            advanced=demo.advanced,
            organization_fiscal_code=DEMO_ORGANIZATION_FISCAL_CODE,
            organization_name=DEMO_ORGANIZATION,
        )
        for demo in (*DEMO_SERVICES, *DEMO_IO_ONLY_SERVICES)
    )
    settings: dict[str, Any] = {"manage_key": DEMO_MANAGE_KEY, **overrides}
    return SimulatorConfig(services=services, accounts=(SimAccount(DEMO_ACCOUNT),), **settings)


def load_config(path: Path) -> SimulatorConfig:
    """A YAML file with `accounts`, `services`, `faults` and the top-level settings."""
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: atteso un dizionario YAML.")
    services = tuple(
        SimService(
            **{
                **s,
                "authorized_recipients": frozenset(s.get("authorized_recipients", ())),
            }
        )
        for s in data.pop("services", [])
    )
    if not services:
        raise InvalidInput(f"{path}: nessun servizio configurato.")
    accounts = tuple(SimAccount(**a) for a in data.pop("accounts", []))
    faults = Faults.from_json(data.pop("faults", {}) or {})
    return SimulatorConfig(services=services, accounts=accounts, faults=faults, **data)
