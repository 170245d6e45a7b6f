"""compose.yaml and the Dockerfile, checked for shape (Docker cannot run on CI's machine):
the services a comune needs, in the right order, one image, no secret in the files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("init", "web", "api", "worker")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), " ".join(arguments.split())))
    return pairs


def script_of(command: list[str]) -> Path:
    assert command[0].startswith("/app/"), command
    return ROOT / command[0].removeprefix("/app/")


def test_the_services_are_the_database_init_web_api_and_worker(
    services: dict[str, dict[str, Any]],
) -> None:
    assert set(services) == {"db", *APP_SERVICES}


def test_postgresql_keeps_its_data_on_a_volume_and_has_a_healthcheck(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    db = services["db"]
    assert db["image"].startswith("postgres:")
    [volume] = db["volumes"]
    name, target = volume.split(":")
    assert target == "/var/lib/postgresql/data" and name in compose["volumes"]
    assert db["healthcheck"]["test"][0] == "CMD-SHELL"
    assert "pg_isready" in db["healthcheck"]["test"][1]


def test_init_web_api_and_worker_run_one_image_built_here(
    services: dict[str, dict[str, Any]],
) -> None:
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    assert {services[name]["build"] for name in APP_SERVICES} == {"."}


@pytest.mark.parametrize(
    ("service", "script"),
    [
        ("init", "appio-init"),
        ("web", "appio-web"),
        ("api", "appio-api"),
        ("worker", "appio-worker"),
    ],
)
def test_each_service_runs_its_script_from_the_repository(
    services: dict[str, dict[str, Any]], service: str, script: str
) -> None:
    command = services[service]["command"]
    assert command == [f"/app/deploy/bin/{script}"]
    path = script_of(command)
    assert path.is_file() and path.stat().st_mode & 0o111, f"{path} is not executable"


def test_init_runs_once_after_the_database_and_the_others_wait_for_it(
    services: dict[str, dict[str, Any]],
) -> None:
    assert services["init"]["restart"] == "no"
    assert services["init"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "api", "worker"):
        assert services[name]["depends_on"]["init"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["depends_on"]["db"] == {"condition": "service_healthy"}


def test_the_web_app_serves_8501_with_the_embedded_worker_off(
    services: dict[str, dict[str, Any]],
) -> None:
    web = services["web"]
    assert web["environment"]["APPIO_START_WORKER"] == "0"
    [port] = web["ports"]
    assert port.endswith(":8501")
    test = " ".join(web["healthcheck"]["test"])
    assert "/_stcore/health" in test and "appio health" in test


def test_the_api_serves_8502_on_loopback_with_its_rate_knobs(
    services: dict[str, dict[str, Any]],
) -> None:
    api = services["api"]
    [port] = api["ports"]
    assert port == "${IO_FLUSSI_BIND:-127.0.0.1}:${IO_FLUSSI_API_PORT:-8502}:8502"
    assert {"APPIO_API_RATE_LIMIT", "APPIO_API_RATE_BURST", "APPIO_API_WORKERS"} <= set(
        api["environment"]
    )
    test = " ".join(api["healthcheck"]["test"])
    assert "127.0.0.1:8502/api/v1/openapi.json" in test and "appio health" in test


def test_the_worker_can_be_scaled(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    # `--scale worker=3` needs distinct names and no host port to fight over.
    assert "container_name" not in worker
    assert "ports" not in worker
    assert worker["stop_grace_period"] == "60s"  # time to finish the sends in flight
    assert "APPIO_START_WORKER" not in worker["environment"]


def test_the_app_keeps_its_data_on_a_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    for name in APP_SERVICES:
        [volume] = services[name]["volumes"]
        volume_name, target = volume.split(":")
        assert target == services[name]["environment"]["APPIO_DATA_DIR"] == "/data"
        assert volume_name in compose["volumes"]


SECRET_WORDS = ("SECRET", "PASSWORD", "DATABASE_URL", "KEY")


def test_secrets_come_from_files_never_from_the_compose_file(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    for service in services.values():
        for name, value in service.get("environment", {}).items():
            if any(word in name for word in SECRET_WORDS):
                assert name.endswith("_FILE"), name
                secret = value.removeprefix("/run/secrets/")
                assert secret in service["secrets"], (name, value)
    for name, secret in compose["secrets"].items():
        assert set(secret) == {"file"}, name
        assert secret["file"].startswith("./secrets/"), name
    # No Fernet key and no URL with a password anywhere in the file.
    text = (ROOT / "compose.yaml").read_text()
    assert not re.search(r"[A-Za-z0-9_-]{43}=", text)
    assert not re.search(r"postgresql\S*://[^:\s/]+:[^@<\s]+@", text)
    # The secret files themselves stay out of git and out of the image.
    assert "/secrets/" in (ROOT / ".gitignore").read_text().split()
    assert "secrets" in (ROOT / ".dockerignore").read_text().split()


def test_the_dockerfile_runs_slim_python_311_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions()
    [base] = [args for op, args in instructions if op == "FROM"]
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", base), base
    users = [i for i, (op, _) in enumerate(instructions) if op == "USER"]
    assert users, "no USER instruction: the processes would run as root"
    user = instructions[users[-1]][1]
    assert user not in ("root", "0") and not user.startswith("0:")
    # Nothing runs as root after the switch, and the switch comes before the command.
    last_run = max(i for i, (op, _) in enumerate(instructions) if op == "RUN")
    assert users[-1] > last_run


def test_the_dockerfile_installs_from_the_lock_file_with_hashes() -> None:
    runs = [args for op, args in dockerfile_instructions() if op == "RUN"]
    copies = [args for op, args in dockerfile_instructions() if op == "COPY"]
    assert any(args.split()[0] == "requirements.lock" for args in copies)
    assert any("--require-hashes -r requirements.lock" in args for args in runs), (
        "the dependencies must come from requirements.lock"
    )
    # The project itself adds nothing on top of the lock.
    assert any("pip install --no-deps -e ." in args for args in runs)


def test_the_dockerfile_checks_health_and_starts_a_script_of_the_repository() -> None:
    instructions = dict(dockerfile_instructions())
    assert instructions["HEALTHCHECK"].endswith('CMD ["appio", "health"]')
    command = yaml.safe_load(instructions["CMD"])  # the JSON form
    assert script_of(command).is_file()
    # The image's default command is the web app's, so that `docker run` shows something.
    assert command == ["/app/deploy/bin/appio-web"]
