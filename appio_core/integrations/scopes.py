"""What an integration may do through the API: its scopes, machine names and Italian labels."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    SEND_NOTIFICATIONS = "notifications:send"
    READ_NOTIFICATIONS = "notifications:read"
    MANAGE_FLOWS = "flows:manage"
    READ_FLOWS = "flows:read"

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self]


SCOPE_LABELS: dict[Scope, str] = {
    Scope.SEND_NOTIFICATIONS: "Invio notifiche",
    Scope.READ_NOTIFICATIONS: "Lettura notifiche",
    Scope.MANAGE_FLOWS: "Gestione flussi",
    Scope.READ_FLOWS: "Lettura flussi",
}

# Without a choice, an integration has every scope (as `appio integration add` without
# --scope).
ALL_SCOPES = frozenset(Scope)


def parse_scopes(stored: str) -> frozenset[Scope]:
    return frozenset(Scope(value) for value in stored.split(",") if value)


def store_scopes(scopes: frozenset[Scope]) -> str:
    return ",".join(sorted(scope.value for scope in scopes))
