"""Typed errors of core actions: a code for logic and tests, a message in Italian for people."""

from __future__ import annotations


class AppError(Exception):
    """A refused action. `message` is shown to the operator as it is."""

    code: str = "errore"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class PermissionDenied(AppError):
    code = "permesso_negato"


class NotFound(AppError):
    code = "non_trovato"


class InvalidInput(AppError):
    code = "dati_non_validi"


class Conflict(AppError):
    code = "conflitto"


class Unauthorized(InvalidInput):
    """No valid key (missing, unknown, revoked, expired): the API answers 401."""

    code = "non_autenticato"
