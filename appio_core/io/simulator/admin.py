"""The simulator's own routes (/__simulator/...), for tests and benchmarks: its record,
faults on demand, the rate limit on or off, citizens of each kind, message requests held
until released (holds.py)."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import parse_qs

from appio_core.errors import AppError
from appio_core.io.simulator import validation
from appio_core.io.simulator.asgi import ADMIN_PREFIX, Answer, Scope
from appio_core.io.simulator.config import Faults, SimulatorConfig
from appio_core.io.simulator.holds import Holds
from appio_core.io.simulator.operations import decode
from appio_core.io.simulator.population import Kind, Population
from appio_core.io.simulator.record import Record


class Controlled(Protocol):
    """What these routes read and change of the simulator."""

    config: SimulatorConfig
    record: Record
    population: Population
    faults: Faults
    rate_limit: bool
    holds: Holds


def control(app: Controlled, method: str, path: str, scope: Scope, body: bytes) -> Answer:
    query = parse_qs(scope.get("query_string", b"").decode())
    action = path[len(ADMIN_PREFIX) :].strip("/")
    try:
        if action == "health":
            return Answer(200, {"ok": True})
        if action == "record" and method == "GET":
            return Answer(200, app.record.to_json(query.get("requests") == ["1"]))
        if action == "reset" and method == "POST":
            app.record.clear()
            return Answer(200, {"ok": True})
        if action == "faults" and method == "GET":
            return Answer(200, app.faults.to_json())
        if action == "faults" and method == "POST":
            app.faults = Faults.from_json(decode(body) or {})
            return Answer(200, app.faults.to_json())
        if action == "rate-limit" and method == "POST":
            app.rate_limit = bool(decode(body).get("enabled", True))
            return Answer(200, {"enabled": app.rate_limit})
        if action == "hold" and method == "POST":
            asked = decode(body) or {}
            app.holds.arm(_codes(asked.get("fiscal_codes", [])), int(asked.get("count", 0)))
            return Answer(200, app.holds.to_json())
        if action == "held" and method == "GET":
            return Answer(200, app.holds.to_json())
        if action == "release" and method == "POST":
            asked = decode(body) or {}
            chosen = asked.get("fiscal_codes")
            released = app.holds.release(None if chosen is None else _codes(chosen))
            return Answer(200, {"released": released, **app.holds.to_json()})
        if action == "citizens" and method == "GET":
            kind = Kind(query.get("kind", ["with_io"])[0])
            service_id = query.get("service_id", [app.config.services[0].service_id])[0]
            count = min(int(query.get("count", ["10"])[0]), 10_000)
            codes = app.population.find(kind, service_id, count)
            return Answer(200, {"fiscal_codes": codes})
    except AppError as exc:
        return Answer(400, {"error": exc.message})
    except (ValueError, AttributeError, validation.Invalid) as exc:
        return Answer(400, {"error": str(exc)})
    return Answer(404, {"error": f"unknown simulator action {method} {action}"})


def _codes(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValueError("fiscal_codes must be a list of codici fiscali")
    return value
