"""Templates fixtures: the notifications' ones (demo services and operators, the simulator)."""

from __future__ import annotations

from ..notifications.conftest import fresh_simulator, operator, services

__all__ = ["fresh_simulator", "operator", "services"]
