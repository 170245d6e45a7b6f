"""Password hashing (argon2) and encryption of the services' API keys at rest (Fernet)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken

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


class KeyBox:
    """Encrypts and decrypts API keys with the installation's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(secret_key.encode())

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise KeyUnreadable(
                "Impossibile decifrare la chiave API: APPIO_SECRET_KEY non è quella usata "
                "quando la chiave è stata salvata."
            ) from exc


def last4(key: str) -> str:
    return key[-4:]


def masked(last_four: str | None) -> str:
    return f"••••{last_four}" if last_four else ""
