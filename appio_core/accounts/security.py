"""Password hashing (argon2) and encryption of the services' API keys at rest (Fernet)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from appio_core.errors import AppError

_hasher = PasswordHasher()


class KeyUnreadable(AppError):
    """A stored key cannot be decrypted: the installation's secret key changed."""

    code = "chiave_illeggibile"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def secret_keys(secret: str) -> list[str]:
    """The keys in an APPIO_SECRET_KEY value: one, or several separated by commas, spaces or
    lines. The first encrypts; every one decrypts (keys can rotate, see `KeyBox.rotate`)."""
    return [key for key in re.split(r"[\s,]+", secret) if key]


class KeyBox:
    """Encrypts and decrypts API keys with the installation's secret key(s)."""

    def __init__(self, secret: str) -> None:
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
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise KeyUnreadable(
                "Impossibile decifrare la chiave API: nessuna delle chiavi in APPIO_SECRET_KEY è"
                " quella usata quando la chiave è stata salvata."
            ) from exc

    def rotate(self, sealed: str) -> str:
        """The same key encrypted with the first secret key (KeyUnreadable if none opens it)."""
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
