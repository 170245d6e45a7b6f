"""Password hashing (argon2) and encryption of the services' API keys at rest (Fernet).

Both libraries load on first use: a command that reads the archive (`appio flow status` in
a script's loop) hashes no password and opens no key.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from appio_core.errors import AppError

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


class KeyUnreadable(AppError):
    """A stored key cannot be decrypted: the installation's secret key changed."""

    code = "chiave_illeggibile"


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerifyMismatchError

    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def secret_keys(secret: str) -> list[str]:
    """The keys in an APPIO_SECRET_KEY value: one, or several separated by commas, spaces or
    lines. The first encrypts; every one decrypts (keys can rotate, see `KeyBox.rotate`)."""
    return [key for key in re.split(r"[\s,]+", secret) if key]


class KeyBox:
    """Encrypts and decrypts API keys with the installation's secret key(s)."""

    def __init__(self, secret: str) -> None:
        from cryptography.fernet import Fernet, MultiFernet

        keys = secret_keys(secret)
        if not keys:
            raise ValueError("no secret key")
        # Fernet raises ValueError for a malformed key; load_settings says so in Italian.
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def __repr__(self) -> str:
        return "KeyBox(•••)"

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise KeyUnreadable(
                "Impossibile decifrare la chiave API: nessuna delle chiavi in APPIO_SECRET_KEY è"
                " quella usata quando la chiave è stata salvata."
            ) from exc

    def rotate(self, sealed: str) -> str:
        """The same key encrypted with the first secret key (KeyUnreadable if none opens it)."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken as exc:
            raise KeyUnreadable(
                "Impossibile decifrare una chiave API con le chiavi in APPIO_SECRET_KEY."
            ) from exc


def last4(key: str) -> str:
    return key[-4:]


def masked(last_four: str | None) -> str:
    return f"••••{last_four}" if last_four else ""
