"""`appio init`, `operator` and `service` commands, as IT staff use them."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from appio_core.cli import COMMANDS, cli
from appio_core.storage.db import make_engine, make_sessionmaker, session_scope
from appio_core.storage.models import Flow


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def env(app_env: str) -> str:
    return app_env


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of `appio`, as the words that name it."""
    ctx = click.Context(group)
    paths = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, (*prefix, name)))
    return paths


COMMAND_PATHS = _command_paths(cli)


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    top = [path[0] for path in COMMAND_PATHS if len(path) == 1]
    assert top == sorted(COMMANDS)
    for name in top:
        assert f"  {name} " in result.output


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=[" ".join(p) for p in COMMAND_PATHS])
def test_every_command_and_subcommand_has_its_help(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: cli {' '.join(path)} ")
    assert len(result.output.splitlines()) > 3  # a description, the options


def test_init_creates_the_first_administrator_once(env: str) -> None:
    first = run("init", "--admin-password-stdin", input="una-password-lunga\n")
    assert first.exit_code == 0, first.output
    assert "Creato l'amministratore «admin»." in first.output
    second = run("init", "--admin-password-stdin", input="una-password-lunga\n")
    assert "Creato" not in second.output
    listed = run("operator", "list", "--format", "json")
    assert [op["username"] for op in json.loads(listed.output)] == ["admin"]


def test_init_prompts_for_the_password_when_not_given(env: str) -> None:
    result = run("init", input="password-123\npassword-123\n")
    assert result.exit_code == 0, result.output
    assert "Creato l'amministratore «admin»." in result.output


def test_operator_add_and_list(env: str) -> None:
    result = run(
        "operator",
        "add",
        "MRossi",
        "--role",
        "operatore",
        "--password-stdin",
        input="una-password-lunga\n",
    )
    assert result.exit_code == 0, result.output
    assert "mrossi\toperatore\tattivo" in run("operator", "list").output


def test_a_bad_operator_is_refused_with_one_line_and_exit_1(env: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["operator", "add", "x", "--role", "operatore", "--password-stdin"],
        input="una-password-lunga\n",
    )
    assert result.exit_code == 1
    assert result.output.strip().startswith("Errore: Nome utente non valido")
    assert len(result.output.strip().splitlines()) == 1


def test_service_add_list_and_enable_keep_keys_masked(env: str) -> None:
    run(
        "operator",
        "add",
        "mrossi",
        "--role",
        "operatore",
        "--password-stdin",
        input="una-password-lunga\n",
    )
    added = run(
        "service",
        "add",
        "--name",
        "Tributi",
        "--service-id",
        "01JTRIB",
        "--primary-key",
        "primary-secret-ABCD",
        "--secondary-key",
        "second-secret-WXYZ",
        "--organization-fiscal-code",
        "01234567890",
        "--account",
        "comune",
    )
    assert added.exit_code == 0, added.output
    assert run("service", "enable", "--service", "Tributi", "--operator", "mrossi").exit_code == 0
    listed = run("service", "list", "--format", "json")
    [service] = json.loads(listed.output)
    assert service["primary_key"] == "••••ABCD"
    assert service["secondary_key"] == "••••WXYZ"
    assert service["account"] == "comune"
    assert service["operators"] == ["mrossi"]
    assert "primary-secret" not in listed.output
    assert "primary-secret" not in run("service", "list").output


def test_enabling_an_unknown_operator_fails_with_exit_1(env: str) -> None:
    run(
        "service",
        "add",
        "--name",
        "Tributi",
        "--service-id",
        "01JTRIB",
        "--primary-key",
        "primary-secret-ABCD",
    )
    result = CliRunner().invoke(
        cli, ["service", "enable", "--service", "Tributi", "--operator", "ghost"]
    )
    assert result.exit_code == 1
    assert "Errore: Nessun operatore «ghost»." in result.output


def test_init_demo_adds_the_demo_operators_and_services_idempotently(env: str) -> None:
    assert run("init", "--demo").exit_code == 0
    assert run("init", "--demo").exit_code == 0
    services = json.loads(run("service", "list", "--format", "json").output)
    assert len(services) == 3
    operators = json.loads(run("operator", "list", "--format", "json").output)
    assert {op["username"] for op in operators} == {"admin", "mrossi", "lbianchi"}


def test_demo_flows_read_as_made_by_people_with_natural_file_names(env: str) -> None:
    assert run("init", "--demo").exit_code == 0
    with session_scope(make_sessionmaker(make_engine(env))) as session:
        flows = {f.name: (f.created_by, f.source_filename) for f in session.scalars(select(Flow))}
    assert flows["Mensa - iscrizioni 2027"] == ("mrossi", "mensa-iscrizioni-2027.csv")
    assert flows["Carte d'identità in scadenza"] == ("admin", "carte-d-identita-in-scadenza.csv")
    assert all(author != "appio-cli" for author, _ in flows.values())


def test_init_demo_refuses_a_database_in_use_or_a_real_io(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = run("init", "--admin-password-stdin", input="una-password-lunga\n")
    assert created.exit_code == 0, created.output
    refused = CliRunner().invoke(cli, ["init", "--demo"])
    assert refused.exit_code == 1
    assert "i dati demo si aggiungono solo a un database nuovo" in refused.output
    assert "mrossi" not in run("operator", "list").output

    monkeypatch.setenv("APPIO_IO_BASE_URL", "https://api.io.pagopa.it/api/v1")
    real = CliRunner().invoke(cli, ["init", "--demo"])
    assert real.exit_code == 1
    assert "solo con il simulatore di IO" in real.output


def test_service_account_sets_the_rate_limit_of_an_account(env: str) -> None:
    run(
        "service",
        "add",
        "--name",
        "Tributi",
        "--service-id",
        "01JTRIB",
        "--primary-key",
        "primary-secret-ABCD",
        "--account",
        "comune",
    )
    result = run("service", "account", "comune", "--requests", "250", "--window", "5")
    assert result.exit_code == 0, result.output
    assert "250 richieste ogni 5 s" in result.output
    missing = CliRunner().invoke(cli, ["service", "account", "altro", "--requests", "10"])
    assert missing.exit_code == 1
    assert "Errore: Nessun account IO «altro»." in missing.output


def test_service_keys_come_from_stdin_or_the_environment_not_the_command_line(env: str) -> None:
    from_stdin = CliRunner().invoke(
        cli,
        ["service", "add", "--name", "Tributi", "--service-id", "01JTRIB", "--keys-stdin"],
        input="primary-secret-ABCD\nsecond-secret-WXYZ\n",
    )
    assert from_stdin.exit_code == 0, from_stdin.output
    from_env = CliRunner().invoke(
        cli,
        ["service", "add", "--name", "Mensa", "--service-id", "01JMENSA"],
        env={"APPIO_PRIMARY_KEY": "primary-env-EFGH"},
        input="\n",
    )
    assert from_env.exit_code == 0, from_env.output
    services = {s["name"]: s for s in json.loads(run("service", "list", "--format", "json").output)}
    assert (services["Tributi"]["primary_key"], services["Tributi"]["secondary_key"]) == (
        "••••ABCD",
        "••••WXYZ",
    )
    assert services["Mensa"]["primary_key"] == "••••EFGH"
    assert "secret" not in from_stdin.output + from_env.output


def test_service_max_amount_is_written_in_italian_form(env: str) -> None:
    args = ["service", "add", "--name", "Tributi", "--service-id", "01JTRIB"]
    added = run(*args, "--keys-stdin", "--max-payment-amount", "1.234,56", input="key-12345-ABCD\n")
    assert added.exit_code == 0, added.output
    [service] = json.loads(run("service", "list", "--format", "json").output)
    assert service["max_payment_amount"] == 123456
    wrong = CliRunner().invoke(
        cli,
        [*args[:3], "Altro", "--service-id", "X", "--keys-stdin", "--max-payment-amount", "dieci"],
        input="k-ABCD\n",
    )
    assert wrong.exit_code == 2
    assert "--max-payment-amount" in wrong.output
