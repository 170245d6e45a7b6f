"""Settings read from `APPIO_*` environment variables.

The Streamlit app also copies top-level `APPIO_*` entries of `.streamlit/secrets.toml`
into the environment before building the settings (see `appio_ui.runtime`), so both
sources end up here.

The secrets (`APPIO_SECRET_KEY`, `APPIO_DATABASE_URL`) may instead be given as files, the
convention of Docker secrets and systemd credentials: `APPIO_SECRET_KEY_FILE` names a file
holding the key. A secret in a file stays out of `docker inspect`, `ps e` and the unit's
environment; the plain variable still wins when both are set.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from appio_core.errors import AppError

log = logging.getLogger(__name__)

DEFAULT_IO_BASE_URL = "https://api.io.pagopa.it/api/v1"
# How long a message keeps its text, its file's columns and the citizen's codice fiscale:
# a year covers the yearly cycle of a comune's notices (last year's TARI message is still
# there when this year's is prepared) and any complaint about one; 0 keeps everything.
DEFAULT_RETENTION_DAYS = 365
# Less than this would remove what an operator may still need (an «esito incerto» to
# resend, a status still being read): a typo, more likely than a wish.
MIN_RETENTION_DAYS = 7
# Sessions of the web app: signed out after this long without a click, and after this
# long whatever happens (a forgotten browser in a shared office).
DEFAULT_SESSION_IDLE_MINUTES = 30
DEFAULT_SESSION_MAX_HOURS = 12
# Failed logins: after this many in a row a username is locked for a while (an address,
# shared by a whole office behind one NAT, after ADDRESS_FAILURE_FACTOR times as many).
DEFAULT_LOGIN_MAX_FAILURES = 5
DEFAULT_LOGIN_LOCK_MINUTES = 15
# The special base URL that binds the services to the IO simulator running in-process.
SIMULATOR_BASE_URL = "simulator"
# How long IO's answer is awaited (APPIO_IO_TIMEOUT_SECONDS): IO answers in well under a
# second; a request still unanswered after this counts as lost (a send: «esito incerto»).
# The workers' lease is derived from it (appio_core.sending.config).
DEFAULT_IO_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Settings:
    database_url: str = field(repr=False)  # may hold the database's password
    io_base_url: str
    secret_key: str = field(repr=False)
    data_dir: Path
    start_worker: bool
    retention_days: int = DEFAULT_RETENTION_DAYS  # 0: personal data is never purged
    session_idle_minutes: int = DEFAULT_SESSION_IDLE_MINUTES
    session_max_hours: int = DEFAULT_SESSION_MAX_HOURS
    login_max_failures: int = DEFAULT_LOGIN_MAX_FAILURES
    login_lock_minutes: int = DEFAULT_LOGIN_LOCK_MINUTES

    @property
    def database(self) -> str:
        """The database URL as it may be shown or logged: without its password."""
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.database_url).render_as_string(hide_password=True)
        except Exception:  # an unparsable URL is shown as nothing at all
            return "(URL non valido)"

    @property
    def uses_simulator(self) -> bool:
        return self.io_base_url == SIMULATOR_BASE_URL


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the SQLite file, the generated key and the demo simulator's messages live."""
    env = os.environ if environ is None else environ
    return Path(env.get("APPIO_DATA_DIR", "data")).resolve()


class ConfigError(AppError):
    """A setting that cannot be used as given (e.g. a secret file that cannot be read)."""

    code = "configurazione"


def owner_only(path: Path) -> None:
    """Takes away the group's and others' access to a file or directory of ours: the data
    directory holds the database, the secret key and citizens' data. Someone else's (a
    directory the administrator prepared) is left as it is, and so is one we cannot
    change, with a warning."""
    try:
        info = path.stat()
        mode = stat.S_IMODE(info.st_mode)
        if info.st_uid == os.getuid() and mode & 0o077:
            path.chmod(mode & 0o700)
    except FileNotFoundError:
        return
    except OSError as exc:
        log.warning("cannot make %s readable only by its owner: %s", path, exc)


def private_dir(path: Path) -> None:
    """The directory, created if missing, readable only by its owner."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    owner_only(path)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    # Absolute: a command run from another folder must find the same files, not new ones.
    data_dir = Path(env.get("APPIO_DATA_DIR", "data")).resolve()
    owner_only(data_dir)
    database_url = env_or_file(env, "APPIO_DATABASE_URL") or f"sqlite:///{data_dir / 'appio.db'}"
    io_base_url = _io_base_url(env.get("APPIO_IO_BASE_URL", DEFAULT_IO_BASE_URL))
    secret_key = env_or_file(env, "APPIO_SECRET_KEY")
    if secret_key is None:
        if not _is_test_double(io_base_url):
            raise ConfigError(MISSING_SECRET_KEY + _demo_hint(data_dir))
        secret_key = _stored_secret_key(data_dir)
    _check_secret_keys(secret_key)
    start_worker_default = "1" if database_url.startswith("sqlite") else "0"
    return Settings(
        database_url=database_url,
        io_base_url=io_base_url,
        secret_key=secret_key,
        data_dir=data_dir,
        start_worker=env.get("APPIO_START_WORKER", start_worker_default) not in ("0", "false", ""),
        retention_days=retention_days(env),
        session_idle_minutes=positive_int(
            env, "APPIO_SESSION_IDLE_MINUTES", DEFAULT_SESSION_IDLE_MINUTES
        ),
        session_max_hours=positive_int(env, "APPIO_SESSION_MAX_HOURS", DEFAULT_SESSION_MAX_HOURS),
        login_max_failures=positive_int(
            env, "APPIO_LOGIN_MAX_FAILURES", DEFAULT_LOGIN_MAX_FAILURES
        ),
        login_lock_minutes=positive_int(
            env, "APPIO_LOGIN_LOCK_MINUTES", DEFAULT_LOGIN_LOCK_MINUTES
        ),
    )


def positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of at least 1 (minutes, hours, attempts); unset: the default."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value >= 1:
        return value
    raise ConfigError(f"{name} deve essere un numero intero maggiore di zero, non «{raw}».")


def io_timeout_seconds(environ: Mapping[str, str] | None = None) -> float:
    """APPIO_IO_TIMEOUT_SECONDS: how long IO's answer is awaited, in seconds (> 0)."""
    env = os.environ if environ is None else environ
    raw = env.get("APPIO_IO_TIMEOUT_SECONDS", "").strip()
    if not raw:
        return DEFAULT_IO_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if 0 < seconds < float("inf"):
        return seconds
    raise ConfigError(
        f"APPIO_IO_TIMEOUT_SECONDS deve essere un numero di secondi maggiore di zero (per"
        f" esempio 30), non «{raw}»."
    )


def retention_days(env: Mapping[str, str]) -> int:
    """APPIO_RETENTION_DAYS: 0 (keep everything) or at least MIN_RETENTION_DAYS."""
    raw = env.get("APPIO_RETENTION_DAYS", "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        days = -1
    if days == 0 or days >= MIN_RETENTION_DAYS:
        return days
    raise ConfigError(
        f"APPIO_RETENTION_DAYS deve essere un numero di giorni: 0 (conserva tutto) oppure"
        f" almeno {MIN_RETENTION_DAYS}, non «{raw}»."
    )


MISSING_SECRET_KEY = (
    "Manca la chiave segreta: imposta APPIO_SECRET_KEY (o APPIO_SECRET_KEY_FILE). Generane una"
    " con «appio keys generate» e conservane una copia al sicuro: cifra le chiavi dei servizi IO,"
    " e senza di essa non si possono più leggere."
)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _demo_hint(data_dir: Path) -> str:
    """The demo keeps its own key under its data folder, used only with the simulator: an
    `appio` command run beside the demo without APPIO_IO_BASE_URL is told so."""
    if not (data_dir / "secret.key").exists():
        return ""
    return (
        f" La cartella {data_dir} è quella della demo, con la sua chiave: per usarla con"
        " «appio», imposta anche APPIO_IO_BASE_URL=simulator, come fa scripts/demo.sh."
    )


def _io_base_url(value: str) -> str:
    """IO's address receives the services' keys: https only, but for the simulator and a
    loopback address (the tests' own simulator process)."""
    url = value.strip().rstrip("/")
    if url == SIMULATOR_BASE_URL:
        return url
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return url
    raise ConfigError(
        f"APPIO_IO_BASE_URL «{url}» non è valido: deve iniziare con https:// (le chiavi dei"
        " servizi non devono viaggiare in chiaro), oppure essere «simulator» per la prova."
    )


def _is_test_double(io_base_url: str) -> bool:
    """The demo and the tests: the simulator in-process or on this machine."""
    return io_base_url == SIMULATOR_BASE_URL or urlsplit(io_base_url).hostname in _LOOPBACK


def is_fernet_key(key: str) -> bool:
    """Fernet's own rule for a key (cryptography's `Fernet.__init__`): 32 bytes in URL-safe
    base64. Checked here without importing cryptography: every command loads the settings,
    and one that only reads the archive never opens a key."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except ValueError:  # binascii.Error: not base64
        return False


def _check_secret_keys(secret: str) -> None:
    for number, key in enumerate(re.split(r"[\s,]+", secret.strip()), start=1):
        if not is_fernet_key(key):
            raise ConfigError(
                f"APPIO_SECRET_KEY non è valida (chiave n. {number}): deve essere una chiave"
                " generata con «appio keys generate» (44 caratteri). Più chiavi, per la"
                " rotazione, vanno separate da virgole."
            )


def env_or_file(env: Mapping[str, str], name: str) -> str | None:
    """The value of `name`, else the content of the file named by `name`_FILE, else None."""
    value = env.get(name)
    if value:
        return value
    path = env.get(f"{name}_FILE")
    if not path:
        return None
    try:
        # Whole-value strip: `echo KEY > file` adds a newline, and neither a Fernet key nor
        # a database URL can begin or end with whitespace.
        content = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(
            f"{name}_FILE indica il file {path}, che non esiste: crea il file "
            "o correggi la variabile."
        ) from None
    except PermissionError:
        raise ConfigError(
            f"{name}_FILE indica il file {path}, che l'utente del servizio non può leggere: "
            "controlla proprietario e permessi del file."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Impossibile leggere il file {path} ({name}_FILE): {exc}.") from None
    if not content:
        raise ConfigError(f"Il file {path} ({name}_FILE) è vuoto.")
    return content


def _stored_secret_key(data_dir: Path) -> str:
    """Read the key kept under the data directory, creating it on first run."""
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    private_dir(data_dir)
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    # O_EXCL: two processes starting at once must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    log.warning(
        "APPIO_SECRET_KEY is not set: generated a new key in %s. It encrypts the services' "
        "API keys: keep a safe copy, without it the stored keys cannot be read.",
        path,
    )
    return key
