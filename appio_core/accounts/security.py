"""Password hashing (argon2) and encryption of the services' API keys at rest (Fernet)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken

_hasher = PasswordHasher()


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
            raise ValueError(
                "Impossibile decifrare la chiave API: APPIO_SECRET_KEY non è quella usata "
                "quando la chiave è stata salvata."
            ) from exc


def last4(key: str) -> str:
    return key[-4:]


def masked(last_four: str | None) -> str:
    return f"••••{last_four}" if last_four else ""
