"""Commands loaded on first use (click's documented LazyGroup pattern).

`appio flow validate` on a million rows must cost little more than reading the file, and
scripts call `appio flow status` in a loop: importing every other command's modules
(SQLAlchemy's ORM, pandas, aiohttp, argon2) first would add a second of CPU to each run.
Even `--help` lists the commands without importing them: each entry carries its one-line
help, kept equal to the command's own by tests/test_cli_start.py."""

from __future__ import annotations

import gc
import importlib
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class Lazy:
    """A command not imported yet: where it lives, and its line in the group's --help."""

    target: str  # "module:attribute"
    short_help: str


class LazyGroup(click.Group):
    def __init__(
        self, *args: Any, lazy_subcommands: dict[str, Lazy] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy_subcommands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = self.lazy_subcommands.get(cmd_name)
        if lazy is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = lazy.target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{lazy.target} is not a click command")
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, LazyGroup):
            # Its module is imported (a plain group's commands with it): what runs next is
            # the command's own work.
            end_of_start()
        return name, command, rest

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own listing, with the lazy commands' lines read from their entries."""
        helps: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            lazy = self.lazy_subcommands.get(name)
            if lazy is not None:
                helps.append((name, lazy.short_help))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                helps.append((name, command.get_short_help_str(limit=10_000)))
        if not helps:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in helps)
        with formatter.section("Commands"):
            formatter.write_dl([(name, _shortened(text, limit)) for name, text in helps])


def _shortened(text: str, limit: int) -> str:
    """The line click would show for a command with this help (cut to the first sentence or
    the width, as click cuts)."""
    return click.Command(None, help=text).get_short_help_str(limit)


def start_without_collector() -> None:
    """For `appio`'s own process (cli.main), first thing: the cyclic garbage collector off
    while the command loads. Loading builds some hundred thousand objects that live as long
    as the process (SQLAlchemy, the models and their mappers), and the collector would go
    through them again and again: about 150 collections, a tenth of `appio flow status`'s
    CPU."""
    gc.disable()


def end_of_start() -> None:
    """The command is loaded: what start-up built is moved out of the collector's sight
    (gc.freeze, documented for this) and the collector runs as usual for the command's own
    work. Nothing to do where start_without_collector was not called (the tests'
    CliRunner)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
