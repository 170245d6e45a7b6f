"""Where the CLI reads a password from: never the command line, which `ps` and the shell's
history show to others. From stdin (`--password-stdin`, for scripts), from an environment
variable or its _FILE (containers, units), else a hidden prompt typed twice."""

from __future__ import annotations

import os
import sys

import click

from appio_core.cli.common import CliError
from appio_core.config import env_or_file


def read_password(
    *, from_stdin: bool, env_name: str, prompt: str, stdin_flag: str = "--password-stdin"
) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise CliError(f"Con {stdin_flag} scrivi la password sulla prima riga dello stdin.")
        return password
    from_env = env_or_file(os.environ, env_name)
    if from_env:
        return from_env
    try:
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))
    except click.Abort:
        # No terminal (a container's or a unit's first start): say how to give it, on a
        # line of its own after the unanswered prompt.
        click.echo(err=True)
        raise CliError(
            f"Nessuna password: esegui il comando in un terminale, oppure indica la password"
            f" con {stdin_flag}, {env_name} o {env_name}_FILE."
        ) from None
