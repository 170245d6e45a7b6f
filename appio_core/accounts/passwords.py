"""The password policy: long enough, not a common password, not the username.

Length counts most (NIST SP 800-63B): no rules about digits and symbols, which lead to
«Password1!»; instead a list of passwords that attackers try first is refused.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from appio_core.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # argon2 takes any length; a bound keeps a pasted file out


@cache
def common_passwords() -> frozenset[str]:
    text = files("appio_core.accounts").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def check_password(password: str, username: str) -> None:
    """Refuses, in Italian, a password that does not follow the policy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"Password troppo corta: servono almeno {MIN_PASSWORD_LENGTH} caratteri (ne ha"
            f" {len(password)}). Una frase di alcune parole è lunga e facile da ricordare."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Password troppo lunga: al massimo {MAX_PASSWORD_LENGTH} caratteri.")
    if password.strip() != password:
        raise InvalidInput("La password non può iniziare o finire con uno spazio.")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        raise InvalidInput(
            "Questa password è tra le più comuni e verrebbe indovinata subito: scegline"
            " un'altra, per esempio una frase di alcune parole."
        )
    name = username.strip().lower()
    if len(name) >= 3 and name in lowered:
        raise InvalidInput("La password non può contenere il nome utente: scegline un'altra.")
