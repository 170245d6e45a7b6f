"""`appio`'s start: scripts call `flow status` in a loop and `notification send` once per
message, so the commands that only read must not load what they do not use.

What each command imports is checked here, in a fresh interpreter; how long it takes is
measured by bench/bench_cli_start.py (never timed in tests).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from appio_core.cli import COMMANDS, cli
from appio_core.cli.flow import flow
from appio_core.cli.lazy import Lazy
from appio_core.config import is_fernet_key

# What the reading commands have no use for: the file reader and its dataframes, the IO
# client's HTTP stacks, the keys' and passwords' cryptography, the exporter, Markdown, and
# on SQLite SQLAlchemy's PostgreSQL dialect, loaded only by an engine on PostgreSQL
# (appio_core/storage/partial_index.py).
POSTGRESQL_DIALECT = "sqlalchemy.dialects.postgresql"
HEAVY = (
    POSTGRESQL_DIALECT,
    "pandas",
    "numpy",
    "pyarrow",
    "python_calamine",
    "aiohttp",
    "httpx",
    "argon2",
    "cryptography",
    "openpyxl",
    "markdown_it",
    "alembic",
    # The tables of sign-ins, the manage key and the workers (storage/runtime_models.py);
    # the API's integrations, read only when an integration acts; the templates' tables,
    # read only for a flow or a message made from one (the demo's flow 1 and its rows are
    # not).
    "appio_core.storage.runtime_models",
    "appio_core.integrations.models",
    "appio_core.templates.models",
)

_PROBE = """
import json, sys
from appio_core.cli import cli
try:
    cli(sys.argv[1:], prog_name="appio", standalone_mode=False)
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted(
    heavy for heavy in {heavy} for name in sys.modules
    if name == heavy or name.startswith(heavy + ".")
)))
"""


def _loaded_after(*args: str) -> list[str]:
    """The heavy packages a fresh `appio ARGS` imports (its output before the last line)."""
    probe = _PROBE.format(heavy=set(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True
    )
    return sorted(set(json.loads(done.stdout.splitlines()[-1])))


def _lazy_entries() -> list[tuple[str, Lazy]]:
    return [*COMMANDS.items(), *flow.lazy_subcommands.items()]


@pytest.mark.parametrize("name, lazy", _lazy_entries(), ids=[n for n, _ in _lazy_entries()])
def test_each_lazy_command_lists_its_own_help_line(name: str, lazy: Lazy) -> None:
    module_name, attribute = lazy.target.split(":")
    command = getattr(importlib.import_module(module_name), attribute)
    assert isinstance(command, click.Command)
    assert lazy.short_help == command.get_short_help_str(limit=10_000)


def test_help_imports_no_command() -> None:
    assert _loaded_after("--help") == []


def test_help_reads_as_before() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "  flow          Flussi di invio massivo." in result.output
    assert "  init          Crea o aggiorna il database; crea il primo amministratore..." in (
        result.output
    )


def test_reading_a_flow_or_a_notification_loads_neither_files_nor_io(
    app_env: str, backend: str
) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--demo"], catch_exceptions=False).exit_code == 0
    own_dialect = [POSTGRESQL_DIALECT] if backend == "postgres" else []
    assert _loaded_after("flow", "status", "1") == own_dialect
    assert _loaded_after("flow", "status", "1", "--format", "json") == own_dialect
    assert _loaded_after("notification", "show", "1") == own_dialect
    assert _loaded_after("notification", "show", "1", "--format", "json") == own_dialect


_COLLECTOR_PROBE = """
import gc, sys
from appio_core.cli import cli
from appio_core.cli.lazy import start_without_collector
start_without_collector()  # as cli.main does
try:
    cli(sys.argv[1:], prog_name="appio", standalone_mode=False)
except SystemExit as exc:
    assert not exc.code, exc.code
print(gc.isenabled())
"""


def test_the_garbage_collector_runs_once_the_command_is_loaded(app_env: str) -> None:
    # Off only while `appio` starts (cli/lazy.py): a long command (the worker, a send) runs
    # with it, whether its group is lazy (flow, notification) or plain (keys).
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--demo"], catch_exceptions=False).exit_code == 0
    for args in (("flow", "status", "1"), ("notification", "show", "1"), ("keys", "generate")):
        done = subprocess.run(
            [sys.executable, "-c", _COLLECTOR_PROBE, *args],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.splitlines()[-1] == "True", args


@pytest.mark.parametrize("key", [Fernet.generate_key().decode() for _ in range(5)])
def test_a_generated_secret_key_passes_the_settings_check(key: str) -> None:
    assert is_fernet_key(key)


@pytest.mark.parametrize(
    "key",
    ["", "abc", "x" * 44, Fernet.generate_key().decode()[:-2], "A" * 43 + "=" + "AAAA"],
)
def test_the_settings_check_refuses_what_fernet_refuses(key: str) -> None:
    try:
        Fernet(key.encode())
        fernet_accepts = True
    except ValueError:
        fernet_accepts = False
    assert is_fernet_key(key) is fernet_accepts
