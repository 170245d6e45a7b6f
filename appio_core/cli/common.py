"""What every `appio` command shares: settings, the database and one-line errors."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from appio_core.cli.lazy import LazyGroup
from appio_core.errors import AppError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from appio_core.accounts.permissions import Actor
    from appio_core.accounts.security import KeyBox
    from appio_core.config import Settings


class Context:
    """Built lazily so that `appio --help` works without a database or a secret key."""

    # Imports inside: a command that needs no database does not pay for loading one.

    def __init__(self) -> None:
        # `appio --as USERNAME` (or APPIO_OPERATOR): the operator the commands act as.
        self.operator: str | None = None

    @cached_property
    def settings(self) -> Settings:
        from appio_core.config import load_settings

        return load_settings()

    @cached_property
    def engine(self) -> Engine:
        from appio_core.storage.db import make_engine

        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from appio_core.storage.db import make_sessionmaker

        return make_sessionmaker(self.engine)

    @cached_property
    def keybox(self) -> KeyBox:
        from appio_core.accounts.security import KeyBox

        return KeyBox(self.settings.secret_key)

    @cached_property
    def actor(self) -> Actor:
        """Who the commands act as, in the audit log and for every permission check: the
        operator named by --as (checked against his role and services like the pages),
        else the installation itself (all-powerful: whoever runs `appio` on the server
        can read its database and secret key anyway)."""
        from appio_core.accounts.permissions import Actor

        origin = machine_origin()
        if not self.operator:
            return Actor.system(origin)
        with self.transaction() as session:
            return _named_actor(session, self.operator, origin)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        from appio_core.storage.db import session_scope

        with session_scope(self.sessions) as session:
            yield session


pass_context = click.make_pass_decorator(Context, ensure=True)


def _named_actor(session: Session, username: str, origin: str) -> Actor:
    """The operator of --as, if he exists and is active; a refusal is in the audit log."""
    from appio_core.accounts.operators import get_operator
    from appio_core.accounts.permissions import Actor
    from appio_core.audit import AuditAction, Named, record_refusal
    from appio_core.errors import NotFound

    try:
        operator = get_operator(session, username.strip())
    except NotFound:
        operator = None
    if operator is not None and operator.active:
        return Actor.of(operator, origin)
    why = "nessun operatore con questo nome utente" if operator is None else "operatore disattivato"
    record_refusal(
        session,
        Named(username.strip().lower()[:64], origin),
        AuditAction.LOGIN,
        f"operatore «{username.strip().lower()}»",
        detail=f"--as dalla riga di comando: {why}.",
    )
    raise CliError(f"--as «{username.strip()}»: {why}.")


def machine_origin() -> str:
    """«riga di comando: user@host», and who ran sudo when someone did (appio-admin)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container's uid without a name
        user = f"uid {os.getuid()}"
    origin = f"riga di comando: {user}@{socket.gethostname()}"
    sudo = os.environ.get("SUDO_USER")
    if sudo and sudo != user:
        origin += f" (sudo da {sudo})"
    return origin


# Bad input: nothing was done (the same status as `appio flow validate` on an unusable file).
EXIT_BAD_INPUT = 2


class ItalianDate(click.ParamType):
    """A day as the operators write it: gg/mm/aaaa (also gg-mm-aaaa, gg.mm.aaaa)."""

    name = "gg/mm/aaaa"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, date):
            return value
        from appio_core.italian import parse_day

        try:
            return parse_day(str(value))
        except AppError as exc:
            self.fail(exc.message, param, ctx)


def read_text_file(path: Path) -> str:
    """A text file the operator wrote: UTF-8 (with or without BOM), clear errors otherwise."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"Il file «{path}» non esiste.") from None
    except UnicodeDecodeError:
        raise CliError(f"Il file «{path}» non è un testo UTF-8: salvalo come UTF-8.") from None
    except OSError as exc:
        raise CliError(f"Impossibile leggere «{path}»: {exc.strerror}.") from None


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """A file that appears only once it is complete: a failed export leaves nothing behind."""
    if path.suffix.lower() != ".xlsx":
        raise CliError(f"Il file di uscita deve avere l'estensione .xlsx: «{path.name}».")
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as target:
            yield target
        partial.replace(path)
    except OSError as exc:
        raise CliError(f"Impossibile scrivere «{path}»: {exc.strerror}.") from exc
    finally:
        partial.unlink(missing_ok=True)


class CliError(click.ClickException):
    """A one-line error in Italian, exit status 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Errore: {self.format_message()}", err=True)


class AppGroup(LazyGroup):
    """Turns the core's refusals (AppError: every error of user input) into one clear line
    and exit status 1. Anything else is a bug, and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AppError as exc:
            raise CliError(exc.message) from exc
